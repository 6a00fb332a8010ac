"""Pushing a model to the Hub through ``huggingface_hub``'s real client, against a local
stand-in of the Hub's upload API; and the card's metadata header the Hub reads."""

from __future__ import annotations

import pytest
import yaml

from open_interpreter import OpenInterpreter
from open_interpreter.bundle.card import card_metadata
from open_interpreter.bundle.hub import HubError, push_directory
from open_interpreter.errors import ConfigError

from ..fixtures.hub import hub_stand_in


@pytest.fixture(autouse=True)
def online(monkeypatch):
    """The Hub switched on (the tests' home switches it off)."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_push_to_hub_uploads_the_saved_model_and_its_card_in_one_commit(tiny_ner_model_dir):
    model = OpenInterpreter.load(tiny_ner_model_dir)
    with hub_stand_in() as hub:
        url = model.push_to_hub("me/tiny-ner", token=hub.token, endpoint=hub.url, private=True)
    assert url.startswith(f"{hub.url}/me/tiny-ner/commit/")
    assert hub.repos == {"me/tiny-ner": {"visibility": "private", "type": None}}
    (commit,) = hub.commits
    files = commit["files"]
    assert {"oi_model.json", "config.json", "model.safetensors", "README.md"} <= set(files)
    assert not any(path.startswith("checkpoints/") for path in files)
    saved = (tiny_ner_model_dir / "model.safetensors").read_bytes()
    assert files["model.safetensors"] == saved  # the weights, byte for byte
    meta = front_matter(files["README.md"].decode())
    assert meta["library_name"] == "transformers"
    assert meta["pipeline_tag"] == "token-classification"
    assert "open-interpreter" in meta["tags"]


def test_pushing_again_commits_to_the_existing_repository(tiny_ner_model_dir):
    with hub_stand_in() as hub:
        for _ in range(2):
            push_directory(tiny_ner_model_dir, "me/tiny-ner", token=hub.token, endpoint=hub.url)
    assert len(hub.commits) == 2 and list(hub.repos) == ["me/tiny-ner"]


def test_a_refused_token_is_a_clear_error_naming_the_fix(tiny_ner_model_dir):
    with hub_stand_in() as hub, pytest.raises(HubError, match=r"refused the token.*HF_TOKEN"):
        push_directory(tiny_ner_model_dir, "me/x", token="wrong", endpoint=hub.url)
    assert hub.commits == []


def test_an_unreachable_hub_and_bad_arguments_are_clear_errors(tiny_ner_model_dir, tmp_path):
    with pytest.raises(HubError, match=r"could not reach http://127\.0\.0\.1:9"):
        push_directory(tiny_ner_model_dir, "me/x", token="t", endpoint="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="not a Hub repository id"):
        push_directory(tiny_ner_model_dir, "../../etc", token="t")
    with pytest.raises(ConfigError, match="not a saved model"):
        push_directory(tmp_path, "me/x", token="t")


def test_an_offline_hub_is_said_before_anything_is_sent(tiny_ner_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match=r"switched off.*HF_HUB_OFFLINE"):
        push_directory(tiny_ner_model_dir, "me/x", token="t")


def test_the_card_metadata_names_the_hub_base_model_datasets_and_scores():
    manifest = {
        "name": "wnut16 ner",
        "task": "token-classification",
        "base_model": "minilm-l6",
        "data": {
            "train": "240 examples from package:wnut16",
            "test": "30 examples from /home/someone/private/test.conll",
        },
    }
    metrics = {"reports": {"test": {"accuracy": 0.9, "entities": {"micro avg": {"f1": 0.61}}}}}
    meta = yaml.safe_load(card_metadata(manifest, metrics))
    assert meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert meta["datasets"] == ["test.conll", "wnut16"]  # file names, never folders
    (entry,) = meta["model-index"]
    scores = {m["name"]: m["value"] for m in entry["results"][0]["metrics"]}
    assert scores == {"Accuracy": 0.9, "Entity F1 (micro)": 0.61}
    assert entry["results"][0]["dataset"]["split"] == "test"
    adapter = yaml.safe_load(card_metadata({**manifest, "adapter": {}, "task": "causal-lm"}, None))
    assert adapter["library_name"] == "peft" and adapter["pipeline_tag"] == "text-generation"
    assert "model-index" not in adapter


def test_oi_models_push_uploads_a_saved_model_with_the_token_from_the_environment(
    tiny_ner_model_dir, monkeypatch
):
    from click.testing import CliRunner

    from open_interpreter.cli import main

    with hub_stand_in() as hub:
        monkeypatch.setenv("HF_TOKEN", hub.token)
        args = ["models", "push", str(tiny_ner_model_dir), "me/ner", "--endpoint", hub.url]
        pushed = CliRunner().invoke(main, [*args, "-m", "first"])
        monkeypatch.setenv("HF_TOKEN", "wrong")
        refused = CliRunner().invoke(main, args)
    assert pushed.exit_code == 0, pushed.output
    assert f"pushed {tiny_ner_model_dir} to me/ner: {hub.url}/me/ner/commit/" in pushed.output
    assert [c["summary"] for c in hub.commits] == ["first"]
    assert refused.exit_code == 1 and "refused the token" in refused.output
    assert "Traceback" not in refused.output
