import numpy as np
import pytest

from open_interpreter.apps.assistant import Assistant, Entry
from open_interpreter.apps.assistant.evaluation import choose_bm25_weight, reranked_ranks
from open_interpreter.apps.assistant.reranker import (
    OTHER,
    RELEVANT,
    Reranker,
    question_split,
    train_reranker,
    training_pairs,
)
from open_interpreter.apps.assistant.retrieval import HybridRetriever
from open_interpreter.errors import ConfigError

from .conftest import FAQ

ENTRIES = [Entry(i, q, a, s) for i, q, a, s in FAQ]
ANSWERS = [e.answer for e in ENTRIES]


class KeywordReranker:
    """Scores 1.0 for passages holding the word it is told to like, else 0.1."""

    def __init__(self, liked: str, candidates: int = 4):
        self.liked, self.candidates = liked, candidates

    def order(self, question, passages):
        scores = np.array([1.0 if self.liked in p else 0.1 for p in passages], dtype=np.float32)
        return [int(i) for i in np.argsort(-scores, kind="stable")], scores


def test_question_split_is_seeded_disjoint_and_whole():
    train, held = question_split(10, held_out=0.4, seed=7)
    assert (train, held) == question_split(10, held_out=0.4, seed=7)
    assert len(held) == 4 and sorted(train + held) == list(range(10))
    assert question_split(10, held_out=0.4, seed=8) != (train, held)
    with pytest.raises(ConfigError):
        question_split(10, held_out=1.0)


def test_training_pairs_are_the_answer_and_the_best_other_training_answers(word_encoder):
    retriever = HybridRetriever(ANSWERS, word_encoder)
    pairs, labels = training_pairs(ENTRIES, [0, 1, 3], retriever, negatives=2)
    assert labels == [RELEVANT, OTHER, OTHER] * 3
    assert pairs[0] == (FAQ[0][1], FAQ[0][2])
    fused = retriever.rankings(FAQ[0][1])["fused_rank"]
    hardest = [int(i) for i in np.argsort(fused) if i in (1, 3)]
    assert [answer for _, answer in pairs[1:3]] == [ANSWERS[i] for i in hardest]
    # the held-out question's answer is never a negative: it would be learnt as "other"
    assert all(answer != FAQ[2][2] for _, answer in pairs)


def test_the_reranker_reorders_citations_and_can_be_the_confidence(word_encoder):
    retriever = HybridRetriever(ANSWERS, word_encoder)
    plain = Assistant(ENTRIES, retriever, threshold=0.0)
    assert plain.retrieve("building permit")[0].rerank_score is None
    ranked = Assistant(ENTRIES, retriever, reranker=KeywordReranker("fence"), threshold=0.0)
    citations = ranked.retrieve("building permit", 2)
    assert citations[0].id == "garden-1" and citations[0].rerank_rank == 1
    assert citations[0].rerank_score == 1.0 and citations[1].rerank_score == pytest.approx(0.1)
    bot = Assistant(
        ENTRIES, retriever, reranker=KeywordReranker("ROT"), confidence="reranker",
        threshold=0.5,
    )  # fmt: skip
    assert bot.ask("taxes renovation").confidence == 1.0
    assert Assistant(ENTRIES, retriever, reranker=KeywordReranker("zzz"), confidence="reranker",
                     threshold=0.5).ask("taxes").handed_off  # fmt: skip
    with pytest.raises(ConfigError):
        Assistant(ENTRIES, retriever, confidence="reranker")


def test_reranked_ranks_keep_fused_rank_outside_the_candidates(word_encoder):
    retriever = HybridRetriever(ANSWERS, word_encoder)
    questions = [e.text for e in ENTRIES]
    found = reranked_ranks(retriever, KeywordReranker("fence", 2), questions, [0, 1, 2, 3], ANSWERS)
    fused = [int(retriever.rankings(q)["fused_rank"][i]) for i, q in enumerate(questions)]
    for right, rank in enumerate(found):
        if fused[right] > 2:
            assert rank == fused[right]
    assert found[3] == 1  # the fence answer, liked, first once among the candidates


def test_bm25_weight_zero_is_the_dense_order(word_encoder):
    retriever = HybridRetriever(ANSWERS, word_encoder, bm25_weight=0.0)
    r = retriever.rankings("building permit fee")
    assert r["fused_rank"].tolist() == r["dense_rank"].tolist()
    weight, sweep = choose_bm25_weight(retriever, [e.text for e in ENTRIES], [0, 1, 2, 3], (0, 1))
    assert weight in (0, 1) and set(sweep) == {"0", "1"}
    with pytest.raises(ConfigError):
        HybridRetriever(ANSWERS, word_encoder, bm25_weight=-1)


def test_train_reranker_fine_tunes_a_sentence_pair_model(word_encoder, tiny_bert_dir, tmp_path):
    retriever = HybridRetriever(ANSWERS, word_encoder)
    reranker, result = train_reranker(
        ENTRIES, [0, 1, 2, 3], retriever, model=str(tiny_bert_dir), negatives=1,
        output_dir=tmp_path / "rr", epochs=1, batch_size=8, learning_rate=5e-3,
    )  # fmt: skip
    assert result.task == "sentence-pair" and reranker.bundle.labels == [OTHER, RELEVANT]
    scores = reranker.scores(FAQ[0][1], ANSWERS)
    assert scores.shape == (4,) and ((scores > 0) & (scores < 1)).all()
    loaded = Reranker.load(tmp_path / "rr", candidates=3)
    assert loaded.candidates == 3
    np.testing.assert_allclose(loaded.scores(FAQ[0][1], ANSWERS), scores, atol=1e-5)
    bot = Assistant(ENTRIES, retriever, reranker=tmp_path / "rr", threshold=0.0)
    assert bot.ask(FAQ[0][1]).citations[0].rerank_rank == 1
