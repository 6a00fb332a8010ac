import numpy as np
import pytest

from open_interpreter.apps.assistant.retrieval import (
    UNRANKED,
    DenseIndex,
    HybridRetriever,
    ranks,
    reciprocal_rank_fusion,
)
from open_interpreter.errors import ConfigError, DataError

from .conftest import FAQ


def test_ranks_are_one_based_and_stable_on_ties():
    assert ranks(np.array([0.2, 0.9, 0.2, 0.5])).tolist() == [3, 1, 4, 2]


def test_reciprocal_rank_fusion_sums_one_over_k_plus_rank():
    fused = reciprocal_rank_fusion(np.array([1, 2]), np.array([2, 1]), k=60)
    assert fused == pytest.approx([1 / 61 + 1 / 62, 1 / 62 + 1 / 61])
    unranked = reciprocal_rank_fusion(np.array([1, UNRANKED]), np.array([2, 1]))
    assert unranked[1] == pytest.approx(1 / 61, rel=1e-6)
    with pytest.raises(ConfigError):
        reciprocal_rank_fusion(np.array([1]), k=0)


def test_hybrid_search_shows_every_rank(word_encoder):
    texts = [f"{q}\n{a}" for _, q, a, _ in FAQ]
    retriever = HybridRetriever(texts, word_encoder)
    hits = retriever.search("how long does a building permit take", k=2)
    assert [h.index for h in hits] == [0, 1]
    best = hits[0]
    assert (best.fused_rank, best.bm25_rank, best.dense_rank) == (1, 1, 1)
    assert best.cosine > hits[1].cosine and best.bm25_score > 0
    assert set(best.to_dict()) >= {"bm25_rank", "dense_rank", "fused_rank"}


def test_an_entry_without_a_shared_word_has_no_bm25_rank(word_encoder):
    retriever = HybridRetriever(["fence height rules", "permit fees"], word_encoder)
    hits = retriever.search("fence", k=2)
    assert hits[0].bm25_rank == 1 and hits[1].bm25_rank is None
    only_stop_words = retriever.search("what are you", k=2)
    assert [h.bm25_rank for h in only_stop_words] == [None, None]


def test_bad_queries_and_indexes_are_clear_errors(word_encoder):
    retriever = HybridRetriever(["one text"], word_encoder)
    with pytest.raises(DataError, match="empty"):
        retriever.search("   ")
    with pytest.raises(DataError, match="2 texts but 1 embeddings"):
        HybridRetriever(["a", "b"], word_encoder, np.ones((1, 4), np.float32))
    with pytest.raises(DataError, match="empty"):
        HybridRetriever([], word_encoder)
    with pytest.raises(DataError):
        DenseIndex(np.ones(3, np.float32))


def test_faiss_hnsw_finds_the_same_top_k_as_exact_search():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, graph = DenseIndex(vectors, backend="exact"), DenseIndex(vectors, backend="faiss")
    assert (exact.backend, graph.backend) == ("exact", "faiss")
    assert DenseIndex(vectors, exact_limit=299).backend == "faiss"
    for query in vectors[:20]:
        found, cosines = exact.search(query, 5)
        approx, approx_cosines = graph.search(query, 5)
        assert approx.tolist() == found.tolist()
        np.testing.assert_allclose(approx_cosines, cosines, atol=1e-5)
    with pytest.raises(ConfigError):
        DenseIndex(vectors, backend="annoy")


def test_hybrid_search_over_faiss_ranks_like_exact(word_encoder):
    pytest.importorskip("faiss")
    texts = [f"{q}\n{a}" for _, q, a, _ in FAQ]
    exact = HybridRetriever(texts, word_encoder, backend="exact")
    graph = HybridRetriever(texts, word_encoder, backend="faiss")
    query = "how long does a building permit take"
    assert [h.index for h in graph.search(query, 3)] == [h.index for h in exact.search(query, 3)]
    assert graph.search(query, 1)[0].cosine == pytest.approx(exact.search(query, 1)[0].cosine)
