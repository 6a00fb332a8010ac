"""Adapters on the tiny BERT: every method, trainable parameters, saving small, merging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ConfigError, ModelStateError
from open_interpreter.peft import count_parameters

from ..fixtures.data import sentiment_texts
from .runs import QUICK, fine_tune_ner, probabilities

pytestmark = pytest.mark.usefixtures("one_thread")


def test_lora_trains_the_adapter_and_head_only_and_saves_them_small(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    interpreter = fine_tune_ner(tiny_bert_dir, {"method": "lora", "r": 4})
    counted = interpreter.result.training.parameters
    assert counted == count_parameters(interpreter.model)
    assert 0 < counted.trainable < counted.total
    trainable = {n for n, p in interpreter.model.named_parameters() if p.requires_grad}
    assert any("lora_A" in n for n in trainable)
    assert any("classifier" in n for n in trainable)  # the head stays trainable
    assert not any("word_embeddings" in n for n in trainable)
    assert "parameters trainable" in str(interpreter.result)
    assert interpreter.result.to_dict()["parameters"]["trainable"] == counted.trainable

    saved = interpreter.save(tmp_path / "adapter")
    assert (saved / "adapter_model.safetensors").is_file()
    assert not (saved / "model.safetensors").exists()
    manifest = json.loads((saved / "oi_model.json").read_text())
    assert manifest["adapter"]["base_model"] == str(tiny_bert_dir)
    assert manifest["adapter"]["method"] == "lora"
    assert "PeftModel.from_pretrained" in (saved / "README.md").read_text()

    sentences = [["john", "visited", "paris", "."], ["mary", "works", "at", "acme", "corp"]]
    loaded = OpenInterpreter.load(saved)
    assert loaded.model_name == str(tiny_bert_dir)
    assert probabilities(loaded, sentences) == pytest.approx(
        probabilities(interpreter, sentences), abs=1e-5
    )


@pytest.mark.parametrize("method", ["lora", "ia3"])
def test_merged_and_unmerged_models_predict_the_same(
    tiny_bert_dir: Path, tmp_path: Path, method: str
) -> None:
    from transformers import AutoModelForTokenClassification

    interpreter = fine_tune_ner(tiny_bert_dir, method)
    sentences = [["john", "visited", "paris", "."], ["mary", "works", "at", "acme", "corp"]]
    unmerged = probabilities(interpreter, sentences)
    interpreter.merge()
    assert interpreter.adapters == []
    assert probabilities(interpreter, sentences) == pytest.approx(unmerged, abs=1e-5)

    saved = interpreter.save(tmp_path / "merged")
    assert (saved / "model.safetensors").is_file()
    assert not (saved / "adapter_config.json").exists()
    AutoModelForTokenClassification.from_pretrained(saved)  # plain transformers
    assert probabilities(OpenInterpreter.load(saved), sentences) == pytest.approx(
        unmerged, abs=1e-5
    )


@pytest.mark.parametrize(
    ("method", "task"),
    [
        ("lora", "sequence-classification"),
        ("ia3", "sequence-classification"),
        ("prompt-tuning", "sequence-classification"),
        ("p-tuning", "sequence-classification"),
        ("lora", "sentence-pair"),
    ],
)
def test_every_method_trains_classification(
    tiny_bert_dir: Path, tmp_path: Path, method: str, task: str
) -> None:
    texts, labels = sentiment_texts(40)
    data = texts if task != "sentence-pair" else [(t, "it is") for t in texts]
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    peft = {"method": method, "num_virtual_tokens": 4, "encoder_hidden_size": 16}
    result = interpreter.fine_tune(
        train_data=data, train_labels=labels, task=task, peft=peft, **QUICK
    )
    assert result.training.parameters.trainable < result.training.parameters.total
    loaded = OpenInterpreter.load(interpreter.save(tmp_path / method))
    first = data[:3]
    assert [p.label for p in loaded.predict(first)] == [p.label for p in interpreter.predict(first)]


def test_methods_that_cannot_work_say_which_can(tiny_bert_dir: Path) -> None:
    with pytest.raises(ConfigError, match="shifts the per-token tags"):
        fine_tune_ner(tiny_bert_dir, "prompt-tuning")
    with pytest.raises(ConfigError, match=r"prefix-tuning.*BertModel.*use lora"):
        fine_tune_ner(tiny_bert_dir, "prefix-tuning")
    with pytest.raises(ConfigError, match="no_such_layer"):
        fine_tune_ner(tiny_bert_dir, {"method": "lora", "target_modules": ["no_such_layer"]})


def test_merge_needs_a_weight_adapter(tiny_bert_dir: Path) -> None:
    interpreter = fine_tune_ner(tiny_bert_dir, None, epochs=1)
    with pytest.raises(ModelStateError, match="no adapter"):
        interpreter.merge()
    texts, labels = sentiment_texts(24)
    prompt = OpenInterpreter(str(tiny_bert_dir))
    prompt.fine_tune(
        train_data=texts, train_labels=labels, peft={"method": "prompt-tuning"}, **QUICK
    )
    with pytest.raises(ModelStateError, match="virtual tokens"):
        prompt.merge()
