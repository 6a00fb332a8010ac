"""LoRA on the packaged minilm-l6 with real CoNLL-2003 sentences: small, savable, mergeable.

The full 3-epoch comparison with full fine-tuning is in docs/peft.md
(``oi train examples/conll2003_ner_lora.yaml``); this checks the same path on a slice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.config import load_config

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_lora_ner_adapter_is_small_and_merges_to_the_same_predictions(
    conll, tmp_path: Path
) -> None:
    train, dev = conll
    overrides = ["epochs=1", "progress=false", "precision=fp32"]  # merged == unmerged exactly
    config = load_config(EXAMPLES / "conll2003_ner_lora.yaml", overrides)
    interpreter = OpenInterpreter("minilm-l6")
    result = interpreter.fine_tune(
        train_data=train.subset(list(range(400))),
        validation_data=dev.subset(list(range(100))),
        config=config,
    )
    parameters = result.training.parameters
    assert parameters.percent < 2.0
    assert result.after.loss < result.before.loss / 2

    saved = interpreter.save(tmp_path / "ner-lora")
    size = sum(f.stat().st_size for f in saved.iterdir() if f.suffix == ".safetensors")
    assert size < 5_000_000
    sentences = dev.tokens[:20]
    expected = [p.tags for p in interpreter.predict(sentences)]
    loaded = OpenInterpreter.load(saved)
    assert [p.tags for p in loaded.predict(sentences)] == expected
    loaded.merge()
    assert [p.tags for p in loaded.predict(sentences)] == expected
