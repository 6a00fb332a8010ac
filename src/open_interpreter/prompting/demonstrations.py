"""Choose, order and trim the labelled examples shown to a model before its input.

Selections:

- ``random``: k examples drawn once (seeded) and shown before every input — the same
  prompt prefix throughout, so it is computed once and cached;
- ``balanced``: as random, but as even across labels as k allows;
- ``nearest``: for each input, the k examples whose ``minilm-l6`` embeddings are most
  similar to it (an example identical to the input is never chosen).

Orders: ``similar-last`` puts the most similar example right before the input (the
default for ``nearest``), ``similar-first`` the reverse, ``shuffled`` a seeded shuffle
(the default otherwise), ``as-selected`` leaves them as chosen.

Example:
    >>> selector = DemonstrationSelector(pool, k=4, selection="balanced", seed=0)  # doctest: +SKIP
    >>> [d.label for d in selector.select(["Arsenal won"])[0]]  # doctest: +SKIP
    ['tech', 'sports', 'business', 'politics']
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from open_interpreter.data.examples import TextExamples
from open_interpreter.errors import ConfigError, DataError

if TYPE_CHECKING:
    from open_interpreter.prompting.embeddings import SentenceEncoder

Selection = Literal["random", "balanced", "nearest"]
Order = Literal["similar-last", "similar-first", "shuffled", "as-selected"]
SELECTIONS: tuple[str, ...] = ("random", "balanced", "nearest")
ORDERS: tuple[str, ...] = ("similar-last", "similar-first", "shuffled", "as-selected")


@dataclass(frozen=True)
class Demonstration:
    """A labelled example shown to the model.

    Attributes:
        text: The example's text (possibly trimmed).
        label: Its label.
        similarity: Cosine similarity to the input (``nearest`` only).
    """

    text: str
    label: str
    similarity: float | None = None


class DemonstrationSelector:
    """Pick k demonstrations for each input from a labelled pool.

    Args:
        pool: Labelled examples to choose from.
        k: How many to show (fewer when the pool is smaller).
        selection: ``random``, ``balanced`` or ``nearest``.
        order: How to order them (default: ``similar-last`` for nearest, else ``shuffled``).
        seed: Seed of every random choice.
        encoder: The sentence encoder for ``nearest`` (loads ``minilm-l6`` when needed).

    Raises:
        ConfigError: Unknown selection or order, k below 1, or a similarity order without
            ``nearest``.
        DataError: The pool is empty or unlabelled.
    """

    def __init__(
        self,
        pool: TextExamples,
        *,
        k: int,
        selection: Selection = "random",
        order: Order | None = None,
        seed: int = 0,
        encoder: SentenceEncoder | None = None,
    ):
        if selection not in SELECTIONS:
            raise ConfigError(f"selection must be one of {SELECTIONS}, got {selection=}")
        order = order or ("similar-last" if selection == "nearest" else "shuffled")
        if order not in ORDERS:
            raise ConfigError(f"order must be one of {ORDERS}, got {order=}")
        if order.startswith("similar") and selection != "nearest":
            raise ConfigError(f"order={order!r} needs selection='nearest', got {selection=}")
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k=}")
        if not len(pool) or pool.labels is None:
            raise DataError(
                "the demonstration pool must hold labelled examples", source=pool.source
            )
        self.pool, self.k, self.selection, self.order, self.seed = pool, k, selection, order, seed
        self._encoder = encoder
        self._pool_vectors: np.ndarray | None = None

    @property
    def shared(self) -> bool:
        """Whether every input gets the same demonstrations (random and balanced)."""
        return self.selection != "nearest"

    def select(self, texts: Sequence[str]) -> list[list[Demonstration]]:
        """The ordered demonstrations for each text.

        Args:
            texts: The inputs.

        Returns:
            One list of demonstrations per input.
        """
        if self.shared:
            chosen = self._fixed()
            return [list(chosen) for _ in texts]
        return self._nearest(texts)

    def _fixed(self) -> list[Demonstration]:
        rng = random.Random(self.seed)
        labels = [str(label) for label in self.pool.labels or []]
        if self.selection == "random":
            picked = rng.sample(range(len(labels)), min(self.k, len(labels)))
        else:
            picked = _balanced(labels, self.k, rng)
        demos = [Demonstration(self.pool.texts[i], labels[i]) for i in picked]
        return self._ordered(demos, rng)

    def _nearest(self, texts: Sequence[str]) -> list[list[Demonstration]]:
        pool_vectors = self._pool_embeddings()
        similarities = self._encoder_or_default().encode(list(texts)) @ pool_vectors.T
        labels = [str(label) for label in self.pool.labels or []]
        rng = random.Random(self.seed)
        chosen = []
        for row, text in enumerate(texts):
            ranked = np.argsort(-similarities[row], kind="stable")
            picked = [i for i in ranked if self.pool.texts[i] != text][: self.k]
            demos = [
                Demonstration(self.pool.texts[i], labels[i], float(similarities[row, i]))
                for i in picked
            ]
            chosen.append(self._ordered(demos, rng))
        return chosen

    def _ordered(self, demos: list[Demonstration], rng: random.Random) -> list[Demonstration]:
        if self.order == "shuffled":
            rng.shuffle(demos)
        elif self.order.startswith("similar"):
            demos.sort(key=lambda d: d.similarity or 0.0, reverse=self.order == "similar-first")
        return demos

    def _pool_embeddings(self) -> np.ndarray:
        if self._pool_vectors is None:
            self._pool_vectors = self._encoder_or_default().encode(self.pool.texts)
        return self._pool_vectors

    def _encoder_or_default(self) -> SentenceEncoder:
        if self._encoder is None:
            from open_interpreter.prompting.embeddings import SentenceEncoder

            self._encoder = SentenceEncoder.load()
        return self._encoder


def _balanced(labels: list[str], k: int, rng: random.Random) -> list[int]:
    """Indices of k examples taken label by label in turn (labels in a seeded order)."""
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    queues = [rng.sample(indices, len(indices)) for _, indices in sorted(by_label.items())]
    rng.shuffle(queues)
    picked: list[int] = []
    while len(picked) < min(k, len(labels)):
        for queue in queues:
            if queue and len(picked) < k:
                picked.append(queue.pop())
    return picked


def trim_words(text: str, max_words: int | None) -> str:
    """The first ``max_words`` words of ``text`` (joined by single spaces), `` ...`` if cut.

    Args:
        text: The text.
        max_words: Words to keep; None keeps the text as it is.

    Returns:
        The trimmed text.
    """
    if max_words is None:
        return text
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]) + " ..."
