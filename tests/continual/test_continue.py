"""``continue_training`` end to end on the tiny BERT: a first version, then new classes
with each strategy; what is stored with the model; bad input refused before training."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from open_interpreter.bundle import ModelBundle
from open_interpreter.continual import ContinualState, continue_training
from open_interpreter.errors import ConfigError, DataError, LabelError

from ..fixtures.data import ner_sentences, sentiment_texts
from .helpers import FAST, topic_texts


def _continue(path: Path, out: Path, strategy: str, **options):
    texts, labels = topic_texts(40)
    return continue_training(
        ModelBundle.load(path),
        texts,
        labels,
        strategy=strategy,
        task_name="topics",
        output_dir=out,
        **{**FAST, "epochs": 2, **options},
    )


def test_the_first_step_keeps_its_evaluation_set_buffer_and_score(first):
    state = ContinualState.load(first)
    assert [task["name"] for task in state.tasks] == ["sentiment"]
    assert len(state.matrix) == 1 and len(state.matrix[0]) == 1
    assert len(state.eval_sets[0]) == 13  # 20% of 64, seeded
    assert 0 < len(state.buffer) <= 20 and set(state.buffer.slots) == {"negative", "positive"}
    assert state.fisher is None


def test_replay_grows_the_head_and_adds_a_row_scored_on_every_task(first, tmp_path):
    step = _continue(first, tmp_path / "v2", "replay")
    assert step.added_labels == ["animals", "places"]
    model = ModelBundle.load(tmp_path / "v2")
    assert model.labels == ["negative", "positive", "animals", "places"]
    old = ModelBundle.load(first).model.classifier.weight
    assert model.model.classifier.weight.shape[0] == 4
    report = step.report.to_dict()
    assert report["tasks"] == ["sentiment", "topics"]
    assert report["matrix"][0] == ContinualState.load(first).matrix[0]
    assert len(report["matrix"][1]) == 2
    assert report["forgetting"].keys() == {"sentiment"}
    state = ContinualState.load(tmp_path / "v2")
    assert len(state.eval_sets) == 2
    assert set(state.buffer.slots) == {"negative", "positive", "animals", "places"}
    assert len(state.buffer) <= 20
    assert state.steps[1]["strategy"] == "replay"
    assert state.steps[1]["trained_on"] == 32 + len(ContinualState.load(first).buffer)
    assert old.shape[0] == 2


def test_naive_trains_on_the_new_data_alone_and_ewc_stores_the_fisher(first, tmp_path):
    naive = _continue(first, tmp_path / "naive", "naive")
    assert naive.report.steps[1]["trained_on"] == 32
    ewc = _continue(first, tmp_path / "ewc", "ewc", ewc_lambda=100.0)
    fisher = ContinualState.load(tmp_path / "ewc").fisher
    assert fisher["classifier.weight"].shape[0] == 4
    assert float(fisher["classifier.weight"].sum()) > 0
    assert ewc.report.steps[1]["strategy"] == "ewc"


def test_l2sp_keeps_the_weights_nearer_the_previous_version_than_naive(first, tmp_path):
    before = ModelBundle.load(first).model.state_dict()["bert.encoder.layer.0.output.dense.weight"]

    def moved(out: Path) -> float:
        after = ModelBundle.load(out).model.state_dict()["bert.encoder.layer.0.output.dense.weight"]
        return float((after - before).abs().mean())

    _continue(first, tmp_path / "naive", "naive", learning_rate=1e-2)
    _continue(first, tmp_path / "l2sp", "l2sp", learning_rate=1e-2, l2sp_alpha=1e4)
    assert moved(tmp_path / "l2sp") < 0.5 * moved(tmp_path / "naive")


def test_conflicting_data_is_refused_before_any_training_step(first, tmp_path):
    events: list = []

    def refused(error, data, labels, **options):
        with pytest.raises(error) as info:
            continue_training(
                ModelBundle.load(first), data, labels, on_event=events.append, **FAST, **options
            )
        assert events == []
        return str(info.value)

    tokens, tags = ner_sentences(20)
    assert "one tag per word" in refused(DataError, tokens, tags)
    texts, labels = sentiment_texts(20)
    renamed = ["Positive" if label == "positive" else label for label in labels]
    assert "label_map={'Positive': 'positive'}" in refused(LabelError, texts, renamed)
    assert "strategy" in refused(ConfigError, texts, labels, strategy="foo")


def test_a_model_without_a_record_needs_its_data_for_replay_and_ewc(first, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(first, plain)
    shutil.rmtree(plain / "continual")
    texts, labels = topic_texts(20)
    with pytest.raises(ConfigError, match="Pass its training data as previous_data"):
        continue_training(ModelBundle.load(plain), texts, labels, strategy="replay", **FAST)
    old_texts, old_labels = sentiment_texts(30, seed=5)
    step = continue_training(
        ModelBundle.load(plain),
        texts,
        labels,
        strategy="replay",
        previous_data=old_texts,
        previous_labels=old_labels,
        **{**FAST, "epochs": 1},
    )
    assert step.report.tasks == ["task-0", "task-1"]
    assert len(step.report.matrix) == 2
    assert torch.is_tensor(ModelBundle.load(plain).model.classifier.weight)


def test_the_facade_continues_the_loaded_model(first, tmp_path):
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter.load(first)
    texts, labels = topic_texts(20)
    step = interpreter.continue_training(
        texts, labels, strategy="l2sp", output_dir=tmp_path / "v2", **{**FAST, "epochs": 1}
    )
    assert interpreter.labels == ["negative", "positive", "animals", "places"]
    assert interpreter.result is step.result
    assert step.report.steps[-1]["strategy"] == "l2sp"
    prediction = interpreter.predict("the cat sat on the mat")
    assert set(prediction.scores) == {"negative", "positive", "animals", "places"}
