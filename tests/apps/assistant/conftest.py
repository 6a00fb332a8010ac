"""Shared pieces of the assistant's tests: a word-hashing encoder (a stand-in for a
Transformer, so retrieval tests run in milliseconds) and a small FAQ file."""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import numpy as np
import pytest

from open_interpreter.apps.assistant.intents import words
from open_interpreter.apps.assistant.retrieval import NamedEncoder

FAQ = [
    ("permit-1", "How long does a building permit take?",
     "The processing time for a building permit is ten weeks.", "PBL 9"),
    ("permit-2", "What does a building permit cost?",
     "The fee depends on the municipal tariff, about 25,000 SEK for a house.", "tariff"),
    ("tax-1", "Can I deduct renovation costs from my taxes?",
     "Labour costs qualify for the ROT deduction of 30 percent.", "Skatteverket"),
    ("garden-1", "Do I need permission for a fence?",
     "A fence lower than one metre needs no permission.", "PBL 9"),
]  # fmt: skip


class WordEncoder:
    """Unit vectors of hashed lower-cased words: texts sharing words point alike."""

    dim = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in words(text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)


@pytest.fixture
def word_encoder() -> NamedEncoder:
    """The word-hashing encoder under the name ``words``."""
    return NamedEncoder("words", WordEncoder())


@pytest.fixture
def faq_csv(tmp_path: Path) -> Path:
    """A four-pair FAQ as CSV with the zaragoza columns (id, category, q, a, sources)."""
    path = tmp_path / "faq.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "category", "q", "a", "sources"])
        for entry_id, question, answer, source in FAQ:
            writer.writerow([entry_id, entry_id.split("-")[0], question, answer, source])
    return path
