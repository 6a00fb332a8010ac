"""An adapter for other labels gets a task head of its own; a misfit leaves nothing half-loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ModelStateError

from ..fixtures.data import sentiment_texts
from .runs import QUICK

pytestmark = pytest.mark.usefixtures("one_thread")


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
