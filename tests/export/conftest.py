"""Fixtures of the export tests: a tiny sentiment classifier, fine-tuned once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..fixtures.data import sentiment_texts


@pytest.fixture(scope="session")
def tiny_classifier_dir(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT fine-tuned for a moment on sentiment texts and saved (read-only)."""
    from open_interpreter import OpenInterpreter

    texts, labels = sentiment_texts(32)
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.fine_tune(
        train_data=texts,
        train_labels=labels,
        epochs=4,
        learning_rate=5e-3,
        batch_size=8,
        warmup_ratio=0.0,
        progress=False,
    )
    return interpreter.save(tmp_path_factory.mktemp("saved") / "tiny-sentiment")
