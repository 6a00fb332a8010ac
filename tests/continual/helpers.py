"""Small class-incremental data over the tiny tokenizer's words, and a tiny saved model
trained on the first task."""

from __future__ import annotations

import random
from pathlib import Path

from ..fixtures.data import sentiment_texts

FAST = {
    "learning_rate": 5e-3,
    "batch_size": 8,
    "progress": False,
    "warmup_ratio": 0.0,
    "epochs": 3,
    "num_threads": 1,  # two shared cores: more threads only wait on each other
}

TOPIC_TEMPLATES = {
    "animals": ["the cat sat on the mat", "the dog ran in the park", "a cat ran to a dog"],
    "places": ["john visited paris", "mary visited london", "john works at berlin"],
}


def topic_texts(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts about ``animals`` or ``places``: the second task's new classes."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        label = rng.choice(sorted(TOPIC_TEMPLATES))
        texts.append(rng.choice(TOPIC_TEMPLATES[label]))
        labels.append(label)
    return texts, labels


def first_version(tiny_bert_dir: Path, into: Path):
    """Train the tiny BERT on sentiment as a first continual step saved in ``into``."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training

    texts, labels = sentiment_texts(64, seed=1)
    bundle = ModelBundle(model_name=str(tiny_bert_dir))
    return continue_training(
        bundle, texts, labels, output_dir=into, task_name="sentiment", replay_size=20, **FAST
    )
