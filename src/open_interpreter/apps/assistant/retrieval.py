"""Hybrid retrieval: BM25 (``bm25s``) and dense vectors (the platform's sentence encoder),
fused by reciprocal rank fusion.

Every retriever scores *all* entries of the base and ranks them: at the sizes a support
knowledge base has, exact search is a matrix product; above :data:`EXACT_LIMIT` entries
the dense side is a ``faiss`` HNSW graph instead (``docs/assistant.md`` has the timings).
Each hit keeps its rank in every list, which is the retrieval debug the assistant shows.

Example:
    >>> retriever = HybridRetriever(texts, encoder, embeddings)  # doctest: +SKIP
    >>> retriever.search("how long does a permit take?", k=3)[0]  # doctest: +SKIP
    Hit(index=1, fused_rank=1, bm25_rank=1, dense_rank=2, ...)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from open_interpreter.errors import ConfigError, DataError

RRF_K = 60
"""Reciprocal rank fusion's constant (Cormack et al., 2009): a hit ranked r scores 1/(k + r)."""


UNRANKED = 10**12
"""The rank of an entry a retriever did not return: it adds ~0 to the fused score."""


@dataclass(frozen=True)
class Hit:
    """One entry found for a query, with its place in every ranking (1 = first).

    Attributes:
        index: The entry's row in the knowledge base.
        fused_rank: Its rank after reciprocal rank fusion.
        bm25_rank: Its rank by BM25 (None when BM25 scored it 0: no word in common).
        dense_rank: Its rank by cosine similarity.
        fused_score: Its fused score (sum of weight / (60 + rank)).
        bm25_score: Its BM25 score.
        cosine: Its cosine similarity to the query.
    """

    index: int
    fused_rank: int
    bm25_rank: int | None
    dense_rank: int
    fused_score: float
    bm25_score: float
    cosine: float

    def to_dict(self) -> dict[str, Any]:
        """The hit as a plain dict (for JSON)."""
        return asdict(self)


class NamedEncoder:
    """A sentence encoder with the name its vectors are stored under.

    Args:
        name: The encoder's name (``minilm-l6``, a directory...).
        encoder: Anything with ``encode(texts) -> [n, dim]`` unit vectors; by default the
            platform's :class:`~open_interpreter.prompting.embeddings.SentenceEncoder`.
    """

    def __init__(self, name: str = "minilm-l6", encoder: Any = None):
        if encoder is None:
            from open_interpreter.prompting.embeddings import SentenceEncoder

            encoder = SentenceEncoder.load(name)
        self.name, self.encoder = name, encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        return np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)


class BM25Index:
    """BM25 over the texts, English stop words removed, words stemmed (Snowball)."""

    def __init__(self, texts: Sequence[str]):
        import bm25s

        if not texts:
            raise DataError("nothing to index: the knowledge base is empty")
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index at DEBUG
        self._stemmer, self._size = _stemmer(), len(texts)
        tokens = self._tokens(texts, ids=True)
        self._retriever = bm25s.BM25() if tokens.vocab else None  # None: only stop words
        if self._retriever is not None:
            self._retriever.index(tokens, show_progress=False)

    def _tokens(self, texts: Sequence[str], *, ids: bool) -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts), stopwords="en", stemmer=self._stemmer, return_ids=ids,
            show_progress=False,
        )  # fmt: skip

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every text for ``query`` (0 for texts sharing no word)."""
        tokens = self._tokens([query], ids=False)[0]
        if self._retriever is None or not tokens:  # only stop words on one side
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)


EXACT_LIMIT = 50_000
"""Up to this many entries :class:`DenseIndex` searches exactly (one matrix product); above
it, a ``faiss`` HNSW graph (``benchmarks/bench_assistant.py --part exact_search`` measures
both: docs/assistant.md)."""
ANN_DEPTH = 100
"""How many nearest entries the HNSW graph returns per query (the rest get no dense rank)."""


class DenseIndex:
    """Cosine search over unit vectors: exact (a matrix product) up to ``exact_limit``
    entries, approximate above it (``faiss`` HNSW on inner products).

    Args:
        embeddings: ``[n, dim]`` unit vectors.
        backend: ``exact``, ``faiss``, or ``auto`` (exact up to ``exact_limit``).
        exact_limit: Where ``auto`` switches to faiss.
        depth: Neighbours the faiss graph returns per query.
    """

    def __init__(
        self,
        embeddings: np.ndarray,
        *,
        backend: str = "auto",
        exact_limit: int = EXACT_LIMIT,
        depth: int = ANN_DEPTH,
    ):
        if embeddings.ndim != 2 or not len(embeddings):
            raise DataError(f"need a [n, dim] matrix of embeddings, got {embeddings.shape}")
        if backend not in ("auto", "exact", "faiss"):
            raise ConfigError(f"backend is auto, exact or faiss, got {backend!r}")
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if backend == "auto":
            backend = "exact" if len(embeddings) <= exact_limit else "faiss"
        self.backend, self.depth, self._graph = backend, depth, None
        if backend == "faiss":
            self._graph = _hnsw(self.embeddings, depth)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every entry to the unit ``vector`` (exact)."""
        return self.embeddings @ vector.astype(np.float32)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` entries nearest to ``vector`` and their cosines, nearest first."""
        k = min(k, len(self.embeddings))
        if self._graph is None:
            scores = self.scores(vector)
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
            return top, scores[top]
        cosines, found = self._graph.search(vector.reshape(1, -1).astype(np.float32), k)
        keep = found[0] >= 0
        return found[0][keep].astype(np.int64), cosines[0][keep]


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every item by descending score (ties: lower index first)."""
    order = np.argsort(-scores, kind="stable")
    result = np.empty(len(scores), dtype=np.int64)
    result[order] = np.arange(1, len(scores) + 1)
    return result


def reciprocal_rank_fusion(
    *rankings: np.ndarray, k: int = RRF_K, weights: Sequence[float] | None = None
) -> np.ndarray:
    """The fused score of every item: the sum over rankings of ``weight / (k + rank)``
    (every weight 1 by default: plain reciprocal rank fusion)."""
    if k < 1:
        raise ConfigError(f"rank fusion needs k >= 1, got {k=}")
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings) or any(w < 0 for w in weights):
        raise ConfigError(f"need one weight >= 0 per ranking, got {weights}")
    return sum(w / (k + r.astype(np.float64)) for w, r in zip(weights, rankings, strict=True))


class HybridRetriever:
    """BM25 and dense search over one list of texts, fused by reciprocal rank fusion.

    Args:
        texts: What to search (an entry's question and answer).
        encoder: Embeds queries (and ``texts`` when ``embeddings`` is None).
        embeddings: The texts' stored vectors, row for row.
        rrf_k: Reciprocal rank fusion's constant.
        bm25_weight: How much BM25's reciprocal ranks count against dense retrieval's (1:
            plain fusion; 0: dense order, BM25 ranks still shown). Choose it on a question
            split (:func:`~open_interpreter.apps.assistant.evaluation.choose_bm25_weight`).
        backend: The dense index's: ``auto`` (exact up to :data:`EXACT_LIMIT` entries, then
            faiss HNSW), ``exact`` or ``faiss``.
    """

    def __init__(
        self,
        texts: Sequence[str],
        encoder: Any,
        embeddings: np.ndarray | None = None,
        *,
        rrf_k: int = RRF_K,
        bm25_weight: float = 1.0,
        backend: str = "auto",
    ):
        if bm25_weight < 0:
            raise ConfigError(f"bm25_weight must be >= 0, got {bm25_weight=}")
        self.encoder, self.rrf_k, self.bm25_weight = encoder, rrf_k, bm25_weight
        self.bm25 = BM25Index(texts)
        vectors = encoder.encode(list(texts)) if embeddings is None else embeddings
        if len(vectors) != len(texts):
            raise DataError(f"{len(texts)} texts but {len(vectors)} embeddings")
        self.dense = DenseIndex(vectors, backend=backend)

    def rankings(self, query: str, vector: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Scores and ranks of every entry: ``bm25``, ``cosine``, ``fused`` and their ranks.

        Args:
            query: The question.
            vector: Its embedding, when already computed (e.g. for a batch of questions).
        """
        if not query.strip():
            raise DataError("the question is empty")
        bm25 = self.bm25.scores(query)
        vector = self.encoder.encode([query])[0] if vector is None else vector
        cosine, dense_rank = self._dense(vector, bm25)
        bm25_rank = ranks(bm25)
        # An entry sharing no word with the query is not in BM25's list: it adds nothing.
        bm25_rank = np.where(bm25 > 0, bm25_rank, UNRANKED)
        fused = reciprocal_rank_fusion(
            bm25_rank, dense_rank, k=self.rrf_k, weights=(self.bm25_weight, 1.0)
        )
        return {
            "bm25": bm25, "cosine": cosine, "fused": fused, "bm25_rank": bm25_rank,
            "dense_rank": dense_rank, "fused_rank": ranks(fused),
        }  # fmt: skip

    def _dense(self, vector: np.ndarray, bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every entry's cosine and dense rank; with an HNSW graph, only its ``depth``
        neighbours are ranked (the others :data:`UNRANKED`) and cosines are computed for
        them and BM25's hits only (the rest -1)."""
        if self.dense.backend == "exact":
            cosine = self.dense.scores(vector)
            return cosine, ranks(cosine)
        found, cosines = self.dense.search(vector, self.dense.depth)
        cosine = np.full(len(bm25), -1.0, dtype=np.float32)
        dense_rank = np.full(len(bm25), UNRANKED, dtype=np.int64)
        lexical = np.flatnonzero(bm25 > 0)
        cosine[lexical] = self.dense.embeddings[lexical] @ vector.astype(np.float32)
        cosine[found], dense_rank[found] = cosines, np.arange(1, len(found) + 1)
        return cosine, dense_rank

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` best entries for ``query`` by fused rank.

        Raises:
            DataError: An empty query.
        """
        r = self.rankings(query)
        top = np.argsort(r["fused_rank"])[:k]
        return [
            Hit(
                index=int(i),
                fused_rank=int(r["fused_rank"][i]),
                bm25_rank=int(r["bm25_rank"][i]) if r["bm25"][i] > 0 else None,
                dense_rank=int(r["dense_rank"][i]),
                fused_score=round(float(r["fused"][i]), 6),
                bm25_score=round(float(r["bm25"][i]), 4),
                cosine=round(float(r["cosine"][i]), 4),
            )
            for i in top
        ]


def _hnsw(embeddings: np.ndarray, depth: int) -> Any:
    """A faiss HNSW graph (32 links, inner product) over unit vectors."""
    try:
        import faiss
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise ConfigError("an index this large needs faiss: pip install faiss-cpu") from None
    graph = faiss.IndexHNSWFlat(embeddings.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction, graph.hnsw.efSearch = 80, max(64, depth)
    graph.add(embeddings)
    return graph


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")
