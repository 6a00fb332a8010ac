"""Parameter-efficient fine-tuning on the tiny BERT: every method, saving, merging, switching."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.config import FineTuneConfig, PeftSettings, load_config
from open_interpreter.errors import (
    ConfigError,
    LabelError,
    ModelStateError,
    QuantizationUnavailableError,
)
from open_interpreter.peft import count_parameters, default_target_modules, peft_config

from .tiny_data import ner_sentences, sentiment_texts
from .tiny_language_models import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")

# fp32: merged and unmerged weights must agree to 1e-5, which bf16 autocast cannot promise.
QUICK = {
    "epochs": 2,
    "learning_rate": 1e-2,
    "batch_size": 8,
    "progress": False,
    "precision": "fp32",
}


def _ner(model_dir: Path, peft: object = "lora", seed: int = 0, **settings) -> OpenInterpreter:
    tokens, tags = ner_sentences(48, seed=seed)
    interpreter = OpenInterpreter(str(model_dir))
    interpreter.fine_tune(
        train_data=tokens, train_labels=tags, peft=peft, seed=seed, **{**QUICK, **settings}
    )
    return interpreter


def _probabilities(interpreter: OpenInterpreter, sentences: list[list[str]]) -> list[float]:
    """Every word's tag probability, flattened."""
    return [score for p in interpreter.predict(sentences) for score in p.scores]


def test_peft_settings_come_from_kwargs_yaml_and_overrides(tmp_path: Path) -> None:
    assert FineTuneConfig().updated(peft="ia3").peft == PeftSettings(method="ia3")
    assert FineTuneConfig().updated(peft={"r": 4}).peft.r == 4
    run = tmp_path / "run.yaml"
    run.write_text("peft:\n  method: lora\n  r: 16\n  target_modules: [query, value]\n")
    config = load_config(run, ["peft.alpha=8", "peft.dropout=0.1"])
    assert (config.peft.r, config.peft.alpha, config.peft.dropout) == (16, 8, 0.1)
    assert config.peft.target_modules == ["query", "value"]
    assert load_config(run, ["peft=null"]).peft is None
    with pytest.raises(ConfigError, match="freeze='backbone' cannot be combined with peft"):
        FineTuneConfig.build({"peft": {"method": "lora"}, "freeze": "backbone"})
    with pytest.raises(ConfigError, match=r"peft\.method"):
        FineTuneConfig().updated(peft={"method": "adapters"})


def test_lora_trains_the_adapter_and_head_only_and_saves_them_small(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    interpreter = _ner(tiny_bert_dir, {"method": "lora", "r": 4})
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
    assert _probabilities(loaded, sentences) == pytest.approx(
        _probabilities(interpreter, sentences), abs=1e-5
    )


@pytest.mark.parametrize("method", ["lora", "ia3"])
def test_merged_and_unmerged_models_predict_the_same(
    tiny_bert_dir: Path, tmp_path: Path, method: str
) -> None:
    from transformers import AutoModelForTokenClassification

    interpreter = _ner(tiny_bert_dir, method)
    sentences = [["john", "visited", "paris", "."], ["mary", "works", "at", "acme", "corp"]]
    unmerged = _probabilities(interpreter, sentences)
    interpreter.merge()
    assert interpreter.adapters == []
    assert _probabilities(interpreter, sentences) == pytest.approx(unmerged, abs=1e-5)

    saved = interpreter.save(tmp_path / "merged")
    assert (saved / "model.safetensors").is_file()
    assert not (saved / "adapter_config.json").exists()
    AutoModelForTokenClassification.from_pretrained(saved)  # plain transformers
    assert _probabilities(OpenInterpreter.load(saved), sentences) == pytest.approx(
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
        _ner(tiny_bert_dir, "prompt-tuning")
    with pytest.raises(ConfigError, match=r"prefix-tuning.*BertModel.*use lora"):
        _ner(tiny_bert_dir, "prefix-tuning")
    with pytest.raises(ConfigError, match="no_such_layer"):
        _ner(tiny_bert_dir, {"method": "lora", "target_modules": ["no_such_layer"]})


def test_qlora_needs_cuda_and_bitsandbytes(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(QuantizationUnavailableError, match="needs a CUDA GPU") as caught:
        _ner(tiny_bert_dir, "qlora")
    assert isinstance(caught.value, RuntimeError)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "bitsandbytes" else real_find_spec(name, *a),
    )
    with pytest.raises(QuantizationUnavailableError, match="pip install bitsandbytes"):
        _ner(tiny_bert_dir, "qlora")


def test_default_targets_follow_the_architecture(tiny_bert_dir: Path) -> None:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(tiny_bert_dir)
    assert default_target_modules(bert) == ["query", "key", "value", "attention.output.dense"]
    config = peft_config(PeftSettings(target_modules=["value"]), "token-classification", bert)
    assert config.target_modules == {"value"}

    class Unknown(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = torch.nn.Linear(2, 2)
            self.mlp = torch.nn.Linear(2, 2)

    assert default_target_modules(Unknown()) == ["q"]
    bare = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with pytest.raises(ConfigError, match=r"set peft\.target_modules"):
        default_target_modules(bare)


def test_merge_needs_a_weight_adapter(tiny_bert_dir: Path) -> None:
    interpreter = _ner(tiny_bert_dir, None, epochs=1)
    with pytest.raises(ModelStateError, match="no adapter"):
        interpreter.merge()
    texts, labels = sentiment_texts(24)
    prompt = OpenInterpreter(str(tiny_bert_dir))
    prompt.fine_tune(
        train_data=texts, train_labels=labels, peft={"method": "prompt-tuning"}, **QUICK
    )
    with pytest.raises(ModelStateError, match="virtual tokens"):
        prompt.merge()


def test_several_adapters_share_one_base_and_switch_per_call(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    first = _ner(tiny_bert_dir, seed=1)
    second = _ner(tiny_bert_dir, seed=2, learning_rate=3e-2)
    first_dir, second_dir = first.save(tmp_path / "a"), second.save(tmp_path / "b")
    sentences = [["john", "visited", "paris", "."], ["mary", "works", "at", "acme", "corp"]]
    expected = {"default": _probabilities(first, sentences), "b": _probabilities(second, sentences)}
    assert expected["default"] != pytest.approx(expected["b"], abs=1e-4)

    served = OpenInterpreter.load(first_dir)
    served.load_adapter(second_dir, "b")
    assert served.adapters == ["b", "default"]
    assert served.active_adapter == "default"
    with served.use_adapter("b"):
        assert _probabilities(served, sentences) == pytest.approx(expected["b"], abs=1e-5)
    assert served.active_adapter == "default"
    assert _probabilities(served, sentences) == pytest.approx(expected["default"], abs=1e-5)
    served.use_adapter("b")
    assert served.active_adapter == "b"

    with pytest.raises(ConfigError, match="no adapter called 'c'"):
        served.use_adapter("c")
    with pytest.raises(ConfigError, match="already loaded"):
        served.load_adapter(second_dir, "b")
    other = json.loads((second_dir / "oi_model.json").read_text())
    other["adapter"]["base_model"] = "minilm-l6"
    (second_dir / "oi_model.json").write_text(json.dumps(other))
    with pytest.raises(ModelStateError, match="trained on 'minilm-l6'"):
        served.load_adapter(second_dir, "c")
    other["adapter"]["base_model"], other["labels"] = str(tiny_bert_dir), ["O", "B-X"]
    (second_dir / "oi_model.json").write_text(json.dumps(other))
    with pytest.raises(LabelError, match="predicts"):
        served.load_adapter(second_dir, "c")


def test_an_adapter_for_other_labels_gets_a_head_of_its_own(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from open_interpreter.peft import delete_adapter, load_adapter, set_head_labels, use_adapter

    texts, labels = sentiment_texts(40)
    three = [f"{label}-{len(text) % 3}" for text, label in zip(texts, labels, strict=True)]
    saved = {}
    for name, targets in (("two", labels), ("six", three)):
        trained = OpenInterpreter(str(tiny_bert_dir))
        trained.fine_tune(train_data=texts, train_labels=targets, peft="lora", **QUICK)
        saved[name] = (trained.save(tmp_path / name), trained)
    served = OpenInterpreter.load(saved["two"][0])
    model = load_adapter(served.model, saved["six"][0], "six")
    use_adapter(model, "six")
    set_head_labels(model, saved["six"][1].labels)
    inputs = served.tokenizer(texts[:4], return_tensors="pt", padding=True)
    with torch.inference_mode():
        logits = model.eval()(**inputs).logits
        expected = saved["six"][1].model.eval()(**inputs).logits
    assert logits.shape[-1] == len(saved["six"][1].labels) == 6
    assert torch.allclose(logits, expected, atol=1e-5)
    assert model.get_base_model().num_labels == len(saved["six"][1].labels)

    broken = tmp_path / "broken"
    shutil.copytree(saved["six"][0], broken)
    weights = load_file(broken / "adapter_model.safetensors")
    lora = next(k for k in weights if "lora_A" in k)
    weights[lora] = weights[lora][:1]
    save_file(weights, broken / "adapter_model.safetensors")
    with pytest.raises(ModelStateError, match="does not fit"):
        load_adapter(model, broken, "broken")
    assert sorted(model.peft_config) == ["default", "six"]  # nothing half-loaded is left
    assert "broken" not in model.get_base_model().classifier.modules_to_save
    delete_adapter(model, "six")
    assert sorted(model.peft_config) == ["default"]
