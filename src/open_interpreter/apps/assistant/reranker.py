"""A cross-encoder re-ranker: one Transformer reads the question and a passage together and
says how likely the passage answers it.

It is fine-tuned by the platform's own recipe
(:func:`open_interpreter.training.recipe.fine_tune`, task ``sentence-pair``) on the
knowledge base's own question/answer pairs: each training question with its answer is a
``relevant`` pair, and with the best-ranked *other* answers of the hybrid retriever (hard
negatives) an ``other`` pair. At question time it re-orders the retriever's top
``candidates`` fused hits by the probability of ``relevant``; hits below them keep their
fused order.

Train it on a question split (:func:`question_split`) and score it on the questions it did
not see: ``benchmarks/bench_assistant.py --part reranker`` (docs/assistant.md).

Example:
    >>> train, held = question_split(len(entries), held_out=0.4, seed=7)  # doctest: +SKIP
    >>> reranker, _ = train_reranker(entries, train, retriever, output_dir="rr")  # doctest: +SKIP
    >>> Reranker.load("rr").scores("How long does a permit take?", ["Ten weeks."])  # doctest: +SKIP
    array([0.93], dtype=float32)
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.apps.assistant.knowledge import Entry
from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError, DataError

RELEVANT, OTHER = "relevant", "other"
DEFAULT_CANDIDATES = 20
"""Fused hits the re-ranker reads per question (on the zaragoza FAQ, plain hybrid finds the
right answer among its first 20 for 0.87 of the questions, among 30 for 0.90:
docs/assistant.md)."""
RERANK_SETTINGS: dict[str, Any] = {
    "epochs": 1, "learning_rate": 1e-4, "batch_size": 16, "max_length": 160,
    "freeze": "embeddings", "validation_split": 0.0, "progress": False, "seed": 13,
}  # fmt: skip
"""Fine-tuning settings: questions of ~15 words and answers of at most ~80 fit in 160
sub-words; one epoch, the word embeddings frozen (half of minilm-l6's weights, and of the
optimizer's work on a CPU)."""


class Reranker:
    """A fine-tuned sentence-pair classifier that scores (question, passage) pairs.

    Args:
        bundle: A ``sentence-pair`` bundle with the labels ``relevant`` and ``other``.
        candidates: How many fused hits to re-order per question.
    """

    def __init__(self, bundle: ModelBundle, *, candidates: int = DEFAULT_CANDIDATES):
        if candidates < 1:
            raise ConfigError(f"the re-ranker needs candidates >= 1, got {candidates=}")
        if RELEVANT not in (bundle.labels or []):
            raise ConfigError(
                f"a re-ranker's model predicts {RELEVANT!r} and {OTHER!r}; "
                f"this one predicts {bundle.labels}"
            )
        self.bundle, self.candidates = bundle, candidates

    @classmethod
    def load(cls, path: str | os.PathLike[str], **options: Any) -> Reranker:
        """Load a re-ranker saved by :meth:`save` or :func:`train_reranker` (offline)."""
        return cls(ModelBundle.load(path), **options)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the model (a plain ``transformers`` directory with the platform's card)."""
        return self.bundle.save(path)

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """The probability that each passage answers ``question`` (float32, one per passage)."""
        from open_interpreter.inference import predict

        if not passages:
            return np.zeros(0, dtype=np.float32)
        predictions = predict(self.bundle, [(question, p) for p in passages])
        return np.asarray([p.scores[RELEVANT] for p in predictions], dtype=np.float32)

    def order(self, question: str, passages: Sequence[str]) -> tuple[list[int], np.ndarray]:
        """Positions of ``passages`` best first by the re-ranker (ties keep their order),
        and every passage's score."""
        scores = self.scores(question, passages)
        return [int(i) for i in np.argsort(-scores, kind="stable")], scores


def question_split(
    count: int, *, held_out: float = 0.4, seed: int = 7
) -> tuple[list[int], list[int]]:
    """Seeded split of ``count`` questions into (train, held-out) indices, each sorted.

    Raises:
        ConfigError: ``held_out`` not strictly between 0 and 1, or a part would be empty.
    """
    if not 0 < held_out < 1:
        raise ConfigError(f"held_out is a share between 0 and 1, got {held_out=}")
    order = random.Random(seed).sample(range(count), count)
    cut = count - round(count * held_out)
    if cut < 1 or cut >= count:
        raise ConfigError(f"{count} questions cannot be split with {held_out=}")
    return sorted(order[:cut]), sorted(order[cut:])


def training_pairs(
    entries: Sequence[Entry],
    questions: Sequence[int],
    retriever: Any,
    *,
    negatives: int = 3,
) -> tuple[list[tuple[str, str]], list[str]]:
    """(question, answer) pairs and their labels: each question's own answer ``relevant``,
    the ``negatives`` best fused other answers ``other`` (hard negatives).

    Negatives come from the training questions' own answers only: drawn from every answer,
    the held-out questions' answers would appear only ever as ``other``, a prior a model
    can learn instead of matching (docs/assistant.md).

    Args:
        entries: The knowledge base; ``retriever`` indexes its answers row for row.
        questions: The entries whose questions to train on (the train split).
        retriever: A :class:`~open_interpreter.apps.assistant.retrieval.HybridRetriever`.
        negatives: Hard negatives per question.
    """
    if not questions:
        raise DataError("training a re-ranker needs at least one question")
    pairs, labels = [], []
    texts = [entries[i].text for i in questions]
    vectors = retriever.encoder.encode(texts)
    allowed = set(questions)
    for index, question, vector in zip(questions, texts, vectors, strict=True):
        fused = retriever.rankings(question, vector)["fused_rank"]
        pairs.append((question, entries[index].answer))
        labels.append(RELEVANT)
        ranked = (int(i) for i in np.argsort(fused))
        others = [i for i in ranked if i != index and i in allowed][:negatives]
        pairs.extend((question, entries[i].answer) for i in others)
        labels.extend([OTHER] * len(others))
    return pairs, labels


def train_reranker(
    entries: Sequence[Entry],
    questions: Sequence[int],
    retriever: Any,
    *,
    model: str = "minilm-l6",
    negatives: int = 3,
    candidates: int = DEFAULT_CANDIDATES,
    output_dir: str | os.PathLike[str] | None = None,
    **settings: Any,
) -> tuple[Reranker, Any]:
    """Fine-tune a cross-encoder on the train questions' pairs (see :func:`training_pairs`).

    Args:
        entries: The knowledge base.
        questions: Indices of the questions to train on.
        retriever: Hybrid retrieval over the entries' answers (for hard negatives).
        model: The encoder to start from.
        negatives: Hard negatives per question.
        candidates: Fused hits the re-ranker re-orders at question time.
        output_dir: Where to save it (None: not saved).
        **settings: Overrides of :data:`RERANK_SETTINGS` (any ``FineTuneConfig`` field).

    Returns:
        The re-ranker and the recipe's :class:`FineTuneResult`.
    """
    from open_interpreter.training.recipe import fine_tune

    pairs, labels = training_pairs(entries, questions, retriever, negatives=negatives)
    config = FineTuneConfig(model=model, task="sentence-pair").updated(
        **{**RERANK_SETTINGS, **settings}, labels=[OTHER, RELEVANT],
        output_dir=str(output_dir) if output_dir else None,
    )  # fmt: skip
    bundle = ModelBundle(model_name=model, config=config)
    result = fine_tune(bundle, pairs, labels)
    return Reranker(bundle, candidates=candidates), result
