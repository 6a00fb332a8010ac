"""``ModelBundle``: saved and loaded back with the tiny BERT, everything but the weights'
bytes compared; what is and is not a saved model; where a bundle refuses to save."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_interpreter.bundle import MANIFEST, TRAINING_CONFIG, ModelBundle, read_manifest
from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError, ModelNotFoundError, ModelStateError
from open_interpreter.tasks import TokenClassificationTask

LABELS = ["O", "B-LOC", "B-PER", "I-PER"]
DATA = {"train": {"source": "train.conll", "examples": 48}}


@pytest.fixture
def bundle(tiny_bert_dir: Path) -> ModelBundle:
    """The tiny BERT with a fresh token-classification head, as a fine-tune leaves it."""
    config = FineTuneConfig(model=str(tiny_bert_dir), epochs=2, learning_rate=1e-3, seed=7)
    bundle = ModelBundle(model_name=str(tiny_bert_dir), config=config, data_info=DATA)
    bundle.set_head("token-classification", LABELS)
    bundle.load_tokenizer()
    bundle.model.eval()
    return bundle


def _logits(bundle: ModelBundle):
    import torch

    inputs = bundle.tokenizer(["mary visited paris"], return_tensors="pt")
    with torch.inference_mode():
        return bundle.model(**inputs).logits


def test_a_saved_bundle_loads_back_with_its_task_labels_config_and_data(bundle, tmp_path):
    import torch

    saved = bundle.save(tmp_path / "tiny-ner")

    assert saved == tmp_path / "tiny-ner" and ModelBundle.is_saved(saved)
    manifest = read_manifest(saved)
    assert manifest["name"] == "tiny-ner" and manifest["task"] == "token-classification"
    assert manifest["auto_class"] == "AutoModelForTokenClassification"
    assert manifest["labels"] == LABELS and manifest["base_model"] == bundle.model_name
    assert json.loads((saved / TRAINING_CONFIG).read_text())["learning_rate"] == 1e-3

    loaded = ModelBundle.load(saved)

    assert isinstance(loaded.task, TokenClassificationTask)
    assert loaded.labels == LABELS and loaded.has_head
    assert loaded.config == bundle.config
    assert (loaded.config.epochs, loaded.config.seed) == (2, 7)
    assert loaded.data_info == DATA
    assert loaded.path == saved and loaded.model_name == str(saved)
    assert loaded.tokenizer.get_vocab() == bundle.tokenizer.get_vocab()
    assert torch.allclose(_logits(loaded), _logits(bundle), atol=1e-6)


def test_saving_again_replaces_an_earlier_saved_model(bundle, tmp_path):
    bundle.save(tmp_path / "model")
    bundle.data_info = {"train": {"source": "other.conll", "examples": 12}}
    bundle.save(tmp_path / "model")
    assert ModelBundle.load(tmp_path / "model").data_info["train"]["source"] == "other.conll"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary folder left


def test_only_a_directory_with_a_manifest_is_a_saved_model(tiny_bert_dir, tmp_path):
    assert not ModelBundle.is_saved(tiny_bert_dir)  # a pretrained model, not a saved one
    assert not ModelBundle.is_saved(tmp_path / "missing")
    with pytest.raises(ModelNotFoundError, match=f"{MANIFEST}: missing") as caught:
        read_manifest(tiny_bert_dir)
    assert caught.value.name == str(tiny_bert_dir)
    assert "interpreter.save(path)" in caught.value.hint
    with pytest.raises(ModelNotFoundError, match="no such directory"):
        read_manifest(tmp_path / "missing")
    with pytest.raises(ModelNotFoundError):
        ModelBundle.load(tiny_bert_dir)


def test_a_bundle_never_saves_over_other_files(bundle, tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "todo.txt").write_text("keep me")

    with pytest.raises(ConfigError, match=r"refusing to save into .*notes.*todo\.txt"):
        bundle.save(target)

    assert [p.name for p in target.iterdir()] == ["todo.txt"]
    assert (target / "todo.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]  # no temporary folder left


def test_a_bundle_without_a_head_does_not_save(tiny_bert_dir, tmp_path):
    bare = ModelBundle(model_name=str(tiny_bert_dir))
    bare.ensure_loaded()
    with pytest.raises(ModelStateError, match="no trained head yet"):
        bare.save(tmp_path / "bare")
    assert not (tmp_path / "bare").exists()


def test_a_head_added_to_a_fresh_bundle_saves_with_its_tokenizer(tiny_bert_dir, tmp_path):
    fresh = ModelBundle(model_name=str(tiny_bert_dir))
    fresh.set_head("sequence-classification", ["negative", "positive"])
    saved = fresh.save(tmp_path / "fresh")
    assert ModelBundle.load(saved).labels == ["negative", "positive"]
    assert (saved / "tokenizer.json").is_file()


def test_an_empty_folder_or_one_holding_only_checkpoints_is_saved_into(bundle, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ModelBundle.is_saved(bundle.save(empty))
    run = tmp_path / "run"
    (run / "checkpoints" / "step-10").mkdir(parents=True)
    assert ModelBundle.is_saved(bundle.save(run))
    assert not (run / "checkpoints").exists()  # the finished run's checkpoints are replaced
