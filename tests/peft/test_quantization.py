"""QLoRA says what it needs: a CUDA GPU and bitsandbytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.errors import QuantizationUnavailableError

from .runs import fine_tune_ner

pytestmark = pytest.mark.usefixtures("one_thread")


def test_qlora_needs_cuda_and_bitsandbytes(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(QuantizationUnavailableError, match="needs a CUDA GPU") as caught:
        fine_tune_ner(tiny_bert_dir, "qlora")
    assert isinstance(caught.value, RuntimeError)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "bitsandbytes" else real_find_spec(name, *a),
    )
    with pytest.raises(QuantizationUnavailableError, match="pip install bitsandbytes"):
        fine_tune_ner(tiny_bert_dir, "qlora")
