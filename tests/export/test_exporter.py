"""Exporting tiny models to ONNX: parity with PyTorch, int8, refusals that leave nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, ExportError
from open_interpreter.export import OnnxModel, parity

from ..fixtures.data import ner_sentences, sentiment_texts

pytestmark = pytest.mark.usefixtures("one_thread")

TEXTS = ["John visited Paris and London", "Mary works at Acme Corp .", "the cat sat on the mat"]


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


def _entities(prediction) -> list[tuple[str, str, int, int]]:
    return [(e.type, e.text, e.start, e.end) for e in prediction.entities]


def test_ner_exports_with_fp32_parity_and_predicts_the_same_entities(tiny_ner_model_dir, tmp_path):
    interpreter = OpenInterpreter.load(tiny_ner_model_dir)
    tokens, tags = ner_sentences(16, seed=3)
    report = interpreter.export(tmp_path / "ner", parity_data=tokens, parity_labels=tags)

    card = json.loads((tmp_path / "ner" / "export.json").read_text())
    assert card["task"] == "token-classification" and card["precision"] == "fp32"
    assert card["labels"] == interpreter.labels
    assert report.parity["fp32_max_logit_difference"] <= 1e-4
    assert card["parity"]["metrics"]["onnx_fp32"] == card["parity"]["metrics"]["pytorch"]
    assert "Parity with the PyTorch model" in (tmp_path / "ner" / "README.md").read_text()

    exported = OnnxModel.load(tmp_path / "ner")
    ours, theirs = exported.predict(TEXTS), interpreter.predict(TEXTS)
    assert [_entities(p) for p in ours] == [_entities(p) for p in theirs]
    assert [p.tags for p in ours] == [p.tags for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)
    assert exported.predict(tokens[:2])[1].tags == interpreter.predict(tokens[:2])[1].tags
    assert exported.evaluate(tokens, tags).headline == interpreter.evaluate(tokens, tags).headline


def test_int8_export_is_smaller_and_checked_against_labelled_data(tiny_ner_model_dir, tmp_path):
    interpreter = OpenInterpreter.load(tiny_ner_model_dir)
    tokens, tags = ner_sentences(16, seed=3)
    fp32 = interpreter.export(tmp_path / "fp32")
    int8 = interpreter.export(
        tmp_path / "int8", quantize="int8", parity_data=tokens, parity_labels=tags
    )
    assert int8.precision == "int8"
    assert _size(tmp_path / "int8") < _size(tmp_path / "fp32") == fp32.size_bytes
    metrics = int8.parity["metrics"]
    assert metrics["pytorch"] - metrics["onnx_int8"] <= 0.01
    assert OnnxModel.load(tmp_path / "int8").predict(TEXTS[0]).tags


def test_sequence_classifier_exports_and_predicts_the_same_labels(tiny_classifier_dir, tmp_path):
    interpreter = OpenInterpreter.load(tiny_classifier_dir)
    texts, labels = sentiment_texts(12, seed=5)
    interpreter.export(tmp_path / "clf", parity_texts=texts[:4])
    exported = OnnxModel.load(tmp_path / "clf")
    ours, theirs = exported.predict(texts), interpreter.predict(texts)
    assert [p.label for p in ours] == [p.label for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)
    assert exported.predict(texts[0]).label == theirs[0].label
    assert exported.evaluate(texts, labels).accuracy == interpreter.evaluate(texts, labels).accuracy


def test_a_lora_adapter_is_merged_before_export(tiny_bert_dir, tmp_path):
    texts, labels = sentiment_texts(16)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(
        train_data=texts,
        train_labels=labels,
        peft={"method": "lora", "r": 4},
        epochs=1,
        batch_size=8,
        progress=False,
    )
    interpreter.export(tmp_path / "lora")
    assert interpreter.adapters  # the interpreter keeps its adapter: a copy was merged
    exported = OnnxModel.load(tmp_path / "lora")
    assert [p.label for p in exported.predict(texts)] == [
        p.label for p in interpreter.predict(texts)
    ]


def test_causal_lm_is_refused_clearly(tiny_llama_dir, tmp_path):
    interpreter = OpenInterpreter(str(tiny_llama_dir))
    interpreter.load_language_model()
    with pytest.raises(ExportError, match="causal-lm models do not export to ONNX yet"):
        interpreter.export(tmp_path / "lm")
    assert list(tmp_path.iterdir()) == []


def test_failed_parity_leaves_nothing_behind(tiny_classifier_dir, tmp_path, monkeypatch):
    interpreter = OpenInterpreter.load(tiny_classifier_dir)
    monkeypatch.setattr(parity, "LOGIT_TOLERANCE", -1.0)
    with pytest.raises(ExportError, match="fp32 ONNX logits differ from PyTorch's"):
        interpreter.export(tmp_path / "clf")
    assert list(tmp_path.iterdir()) == []


def test_int8_losing_more_than_the_allowed_drop_is_refused(
    tiny_classifier_dir, tmp_path, monkeypatch
):
    interpreter = OpenInterpreter.load(tiny_classifier_dir)
    texts, labels = sentiment_texts(8, seed=5)
    monkeypatch.setattr(parity, "MAX_INT8_DROP", -1.0)
    with pytest.raises(ExportError, match="points lower"):
        interpreter.export(tmp_path / "q", quantize="int8", parity_data=texts, parity_labels=labels)
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_and_foreign_folders_are_refused(tiny_classifier_dir, tmp_path):
    interpreter = OpenInterpreter.load(tiny_classifier_dir)
    with pytest.raises(ConfigError, match="format must be 'onnx'"):
        interpreter.export(tmp_path / "x", format="tflite")
    with pytest.raises(ConfigError, match="quantize must be None or 'int8'"):
        interpreter.export(tmp_path / "x", quantize="int4")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(ConfigError, match="refusing to export into"):
        interpreter.export(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
