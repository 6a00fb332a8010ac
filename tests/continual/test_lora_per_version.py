"""``lora-per-version`` on the tiny BERT: a LoRA adapter first, then a new adapter per data
version over the frozen base; earlier adapters kept byte for byte; the report filled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_interpreter.bundle import ModelBundle
from open_interpreter.continual import ContinualState, continue_training, scores_on
from open_interpreter.errors import ModelStateError

from ..fixtures.data import sentiment_texts
from .helpers import FAST, topic_texts

LORA = {**FAST, "epochs": 2, "learning_rate": 2e-2, "precision": "fp32"}


@pytest.fixture(scope="module")
def versions(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """v1: LoRA on sentiment from the pretrained tiny BERT; v2: new topic classes."""
    into = tmp_path_factory.mktemp("lora-per-version")
    texts, labels = sentiment_texts(32, seed=1)
    first = continue_training(
        ModelBundle(model_name=str(tiny_bert_dir)),
        texts,
        labels,
        strategy="lora-per-version",
        task_name="sentiment",
        output_dir=into / "v1",
        **LORA,
    )
    texts, labels = topic_texts(24)
    second = continue_training(
        ModelBundle.load(first.path),
        texts,
        labels,
        strategy="lora-per-version",
        task_name="topics",
        output_dir=into / "v2",
        **LORA,
    )
    return [first.path, second.path]


def _manifest(path: Path) -> dict:
    return json.loads((path / "oi_model.json").read_text())


def test_each_version_is_a_new_adapter_and_the_previous_one_is_kept_unchanged(versions):
    v1, v2 = versions
    assert _manifest(v1)["adapter"]["name"] == "default"
    assert _manifest(v2)["adapter"] | {"name": "version_1"} == _manifest(v2)["adapter"]
    assert _manifest(v2)["adapter"]["method"] == "lora"
    assert _manifest(v2)["labels"] == ["negative", "positive", "animals", "places"]
    kept = v2 / "continual" / "adapters" / "default"
    for file in ("adapter_model.safetensors", "adapter_config.json"):
        assert (kept / file).read_bytes() == (v1 / file).read_bytes()
    assert (v2 / "adapter_model.safetensors").read_bytes() != (
        v1 / "adapter_model.safetensors"
    ).read_bytes()
    history = json.loads((v2 / "continual" / "history.json").read_text())
    assert history["adapters"] == [
        {"name": "default", "task": "sentiment", "path": "continual/adapters/default"},
        {"name": "version_1", "task": "topics", "path": "."},
    ]
    assert [step["strategy"] for step in history["steps"]] == ["lora-per-version"] * 2


def test_the_report_is_filled_and_the_saved_version_predicts_with_its_newest_adapter(versions):
    v2 = versions[1]
    state = ContinualState.load(v2)
    assert [len(row) for row in state.matrix] == [1, 2]
    loaded = ModelBundle.load(v2)
    assert loaded.model.active_adapter == "version_1"
    assert scores_on(loaded, state.eval_sets, state.metric) == pytest.approx(state.matrix[1])
    from open_interpreter.continual import report_of

    report = report_of(state, name="v2").to_dict()
    assert report["forgetting"].keys() == {"sentiment"}
    assert report["steps"][1]["adapter"] == "version_1"


def test_oi_continue_makes_a_third_version_keeping_both_earlier_adapters(versions, tmp_path):
    from click.testing import CliRunner

    from open_interpreter.cli import main

    texts, labels = sentiment_texts(16, seed=7)
    data = tmp_path / "more.csv"
    rows = [f"{text},{label}" for text, label in zip(texts, labels, strict=True)]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    settings = [f"{k}={v}" for k, v in {**LORA, "epochs": 1}.items()]
    out = tmp_path / "v3"
    result = CliRunner().invoke(
        main,
        [
            "continue",
            str(versions[1]),
            str(data),
            "--strategy",
            "lora-per-version",
            "--output",
            str(out),
            "--no-register",
            *settings,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| 2 (task-2) | lora-per-version |" in result.output
    assert [a["name"] for a in ContinualState.load(out).adapters] == [
        "default",
        "version_1",
        "version_2",
    ]
    kept = out / "continual" / "adapters" / "version_1" / "adapter_model.safetensors"
    assert kept.read_bytes() == (versions[1] / "adapter_model.safetensors").read_bytes()


def test_an_adapter_takes_only_lora_per_version_and_a_whole_model_not_it(versions, first):
    texts, labels = sentiment_texts(8, seed=3)
    with pytest.raises(ModelStateError, match="strategy 'replay' trains whole models"):
        continue_training(ModelBundle.load(versions[0]), texts, labels, strategy="replay")
    with pytest.raises(ModelStateError, match="whole fine-tuned model"):
        continue_training(ModelBundle.load(first), texts, labels, strategy="lora-per-version")
