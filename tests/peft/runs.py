"""Quick fine-tunes of the tiny BERT, with or without an adapter, for the PEFT tests."""

from __future__ import annotations

from pathlib import Path

from open_interpreter import OpenInterpreter

from ..fixtures.data import ner_sentences

# fp32: merged and unmerged weights must agree to 1e-5, which bf16 autocast cannot promise.
QUICK = {
    "epochs": 2,
    "learning_rate": 1e-2,
    "batch_size": 8,
    "progress": False,
    "precision": "fp32",
}


def fine_tune_ner(
    model_dir: Path, peft: object = "lora", seed: int = 0, **settings
) -> OpenInterpreter:
    """The tiny BERT fine-tuned on tiny NER data with ``peft`` (``QUICK`` unless overridden)."""
    tokens, tags = ner_sentences(48, seed=seed)
    interpreter = OpenInterpreter(str(model_dir))
    interpreter.fine_tune(
        train_data=tokens, train_labels=tags, peft=peft, seed=seed, **{**QUICK, **settings}
    )
    return interpreter


def probabilities(interpreter: OpenInterpreter, sentences: list[list[str]]) -> list[float]:
    """Every word's tag probability, flattened."""
    return [score for p in interpreter.predict(sentences) for score in p.scores]
