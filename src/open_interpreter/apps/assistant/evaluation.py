"""Scoring retrieval: where each question's own entry ranks, by BM25, dense and fused.

:func:`evaluate_retrieval` indexes the FAQ's answers only and asks each question: its own
answer is the one right hit. Recall@k is the share of questions whose answer ranks in the
top k; MRR the mean of 1 / rank (an answer BM25 does not return at all counts 0).

Example:
    >>> scores = evaluate_retrieval(read_faq("faq-en.csv"), NamedEncoder())  # doctest: +SKIP
    >>> scores["hybrid"]["recall@5"]  # doctest: +SKIP
    0.87
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from open_interpreter.apps.assistant.knowledge import Entry
from open_interpreter.apps.assistant.retrieval import (
    UNRANKED,
    HybridRetriever,
    ranks,
    reciprocal_rank_fusion,
)

METHODS = {"bm25": "bm25_rank", "dense": "dense_rank", "hybrid": "fused_rank"}


def rank_metrics(ranks: Sequence[int], ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Recall@k for each k and MRR of the right answers' 1-based ranks."""
    values = np.asarray(ranks, dtype=np.float64)
    scores = {f"recall@{k}": round(float((values <= k).mean()), 4) for k in ks}
    scores["mrr"] = round(float(np.where(values >= UNRANKED, 0.0, 1.0 / values).mean()), 4)
    return scores


def gold_ranks(
    retriever: HybridRetriever, questions: Sequence[str], gold: Sequence[int]
) -> dict[str, list[int]]:
    """The rank of each question's right entry in each method's list."""
    found: dict[str, list[int]] = {method: [] for method in METHODS}
    vectors = retriever.encoder.encode(list(questions))
    for question, vector, right in zip(questions, vectors, gold, strict=True):
        rankings = retriever.rankings(question, vector)
        for method, column in METHODS.items():
            found[method].append(int(rankings[column][right]))
    return found


def reranked_ranks(
    retriever: HybridRetriever,
    reranker: Any,
    questions: Sequence[str],
    gold: Sequence[int],
    texts: Sequence[str],
) -> list[int]:
    """The rank of each question's right entry after ``reranker`` re-orders the top
    ``reranker.candidates`` fused hits (``texts``: what it reads of each entry, row for row).
    A right entry outside the candidates keeps its fused rank."""
    found = []
    vectors = retriever.encoder.encode(list(questions))
    for question, vector, right in zip(questions, vectors, gold, strict=True):
        fused = retriever.rankings(question, vector)["fused_rank"]
        top = [int(i) for i in np.argsort(fused)[: reranker.candidates]]
        if right not in top:
            found.append(int(fused[right]))
            continue
        order, _ = reranker.order(question, [texts[i] for i in top])
        found.append(order.index(top.index(right)) + 1)
    return found


def choose_bm25_weight(
    retriever: HybridRetriever,
    questions: Sequence[str],
    gold: Sequence[int],
    weights: Sequence[float] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0),
) -> tuple[float, dict[str, dict[str, float]]]:
    """The BM25 weight in fusion with the best MRR on these (training) questions, and the
    scores of every weight tried; ties go to the larger weight (more keyword evidence)."""
    scores: dict[str, dict[str, float]] = {}
    vectors = retriever.encoder.encode(list(questions))
    found: dict[float, list[int]] = {w: [] for w in weights}
    for question, vector, right in zip(questions, vectors, gold, strict=True):
        r = retriever.rankings(question, vector)
        for weight in weights:
            fused = reciprocal_rank_fusion(
                r["bm25_rank"], r["dense_rank"], k=retriever.rrf_k, weights=(weight, 1.0)
            )
            found[weight].append(int(ranks(fused)[right]))
    for weight in weights:
        scores[str(weight)] = rank_metrics(found[weight])
    best = max(weights, key=lambda w: (scores[str(w)]["mrr"], w))
    return best, scores


def evaluate_retrieval(
    entries: Sequence[Entry],
    encoder: Any,
    *,
    embeddings: np.ndarray | None = None,
    questions: Sequence[int] | None = None,
) -> dict[str, dict[str, float]]:
    """Recall@1, recall@5 and MRR of BM25, dense and hybrid retrieval on an FAQ.

    Args:
        entries: The FAQ; its answers are indexed, its questions asked.
        encoder: Embeds answers (unless ``embeddings`` are given) and questions.
        embeddings: The answers' vectors, row for row, if already computed.
        questions: Which entries' questions to ask (default: all).
    """
    retriever = HybridRetriever([e.answer for e in entries], encoder, embeddings)
    asked = list(range(len(entries))) if questions is None else list(questions)
    found = gold_ranks(retriever, [entries[i].text for i in asked], asked)
    return {method: rank_metrics(ranks) for method, ranks in found.items()}
