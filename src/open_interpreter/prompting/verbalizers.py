"""Verbalizers: the words that stand for each label when a language model answers.

A label such as ``sports`` may be said several ways (``sport``, ``football``); the label's
score is the probability that the model says any of its words, so each word's likelihood
counts. The first word is the label's *answer*: what demonstrations show the model
answering, and what the prompt lists as the choices.

Example:
    >>> verbalizer = Verbalizer.build({"positive": ["positive", "good"], "negative": "negative"})
    >>> verbalizer.labels, verbalizer.answer("positive")
    (['positive', 'negative'], 'positive')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from open_interpreter.errors import ConfigError


@dataclass(frozen=True)
class Verbalizer:
    """Label → the words that say it, in label order.

    Attributes:
        words: Each label's words; the first is the label's answer.
    """

    words: Mapping[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        if not self.words:
            raise ConfigError("a verbalizer needs at least one label")
        owner: dict[str, str] = {}
        for label, words in self.words.items():
            if not words or any(not w.strip() for w in words):
                raise ConfigError(f"label {label!r} needs non-blank verbalizer words, got {words}")
            for word in words:
                if owner.setdefault(word, label) != label:
                    raise ConfigError(
                        f"verbalizer word {word!r} stands for both {owner[word]!r} and {label!r}"
                    )

    @classmethod
    def build(cls, labels: Sequence[str] | Mapping[str, Any]) -> Verbalizer:
        """Make a verbalizer from label names (each says itself) or a label → word(s) mapping.

        Args:
            labels: ``["business", "sports"]``, or ``{"sports": ["sport", "football"],
                "business": "business"}``.

        Returns:
            The verbalizer.

        Raises:
            ConfigError: No labels, a blank word, or one word for two labels.
        """
        if isinstance(labels, Verbalizer):
            return labels
        if isinstance(labels, str):
            raise ConfigError(f"labels must be a list or a mapping, got the text {labels!r}")
        if isinstance(labels, Mapping):
            pairs = {str(k): _word_tuple(k, v) for k, v in labels.items()}
        else:
            names = [str(label) for label in labels]
            if len(set(names)) != len(names):
                raise ConfigError(f"labels must be unique, got {names}")
            pairs = {name: (name,) for name in names}
        return cls(pairs)

    @property
    def labels(self) -> list[str]:
        """The labels, in order."""
        return list(self.words)

    def answer(self, label: str) -> str:
        """The word a demonstration of ``label`` answers with (its first word).

        Raises:
            ConfigError: ``label`` is not one of the verbalizer's labels.
        """
        if label not in self.words:
            raise ConfigError(f"label {label!r} is not among the verbalizer's {self.labels}")
        return self.words[label][0]

    @property
    def answers(self) -> list[str]:
        """Each label's answer word, in label order (what a prompt lists as the choices)."""
        return [words[0] for words in self.words.values()]

    def flat(self) -> tuple[list[str], list[int]]:
        """Every word once, and the index of the label each one stands for."""
        words, owners = [], []
        for index, label_words in enumerate(self.words.values()):
            words += label_words
            owners += [index] * len(label_words)
        return words, owners


def _word_tuple(label: Any, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"the words for label {label!r} must be a text or a list of texts: {value!r}")
