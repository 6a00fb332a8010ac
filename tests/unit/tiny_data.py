"""Small synthetic labelled data over the tiny tokenizer's vocabulary."""

from __future__ import annotations

import random

PEOPLE = ["john", "mary"]
PLACES = ["paris", "london", "berlin"]


def ner_sentences(n: int, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences like ``john visited paris .`` with IOB2 tags (PER, LOC, ORG)."""
    rng = random.Random(seed)
    tokens, tags = [], []
    for _ in range(n):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        if rng.random() < 0.5:
            tokens.append([person, "visited", place, "."])
            tags.append(["B-PER", "O", "B-LOC", "O"])
        else:
            tokens.append([person, "works", "at", "acme", "corp", "in", place])
            tags.append(["B-PER", "O", "O", "B-ORG", "I-ORG", "O", "B-LOC"])
    return tokens, tags


def sentiment_texts(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts like ``this film is great`` labelled ``positive`` / ``negative``."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        good = rng.random() < 0.5
        word = rng.choice(["good", "great", "loved"] if good else ["bad", "awful", "hated"])
        texts.append(f"{rng.choice(['this', 'the'])} {rng.choice(['film', 'movie'])} is {word}")
        labels.append("positive" if good else "negative")
    return texts, labels
