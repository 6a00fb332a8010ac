"""The sentence-pair re-ranker on tiny data: a tiny BERT fine-tuned by the platform's
recipe on (recent items, candidate) pairs, a final ranker over its probability and the
retrieval's features, and the gain over the first order measured on the test items."""

from __future__ import annotations

import pytest

from open_interpreter.apps.recommend import ContentModel, leave_last_out
from open_interpreter.apps.recommend._rerank import evaluate_reranker, recent_text
from open_interpreter.errors import DataError


def test_rerank_reports_both_orders_and_the_gain(tiny_data, genre_vectors, tiny_bert_name):
    split = leave_last_out(tiny_data.interactions)
    retrieval = ContentModel(item_embeddings=genre_vectors).fit(split.train, tiny_data.item_text)
    report = evaluate_reranker(
        split, tiny_data.item_text, retrieval, tiny_bert_name, candidates=4, users=12, max_length=32
    )
    assert report.users == 12 and report.candidates == 4
    assert report.settings["pair_users"] == 6 and report.settings["pair_training_pairs"] == 24
    for name in ("recall@10", "ndcg@10", "mrr"):
        assert 0 <= report.first_order[name] <= 1 and 0 <= report.reranked[name] <= 1
        gain = report.reranked[name] - report.first_order[name]
        assert report.gain[name] == pytest.approx(gain)
        low, high = report.intervals[name]
        assert low <= report.gain[name] + 1e-9 and report.gain[name] <= high + 1e-9
    assert set(report.weights) == {
        "pair_probability",
        "retrieval_score",
        "log_popularity",
        "recency",
    }
    # all 4 candidates fit in the top 10, so recall@10 cannot change with the order
    assert report.reranked["recall@10"] == report.first_order["recall@10"]


def test_recent_text_and_bad_splits(tiny_data, genre_vectors) -> None:
    texts = ["a.", "b.", "c.", "d."]
    import numpy as np

    assert recent_text(texts, np.array([0, 2, 3]), 2) == "c. | d."
    split = leave_last_out(tiny_data.interactions)
    empty = type(split)(
        split.train, split.train.subset(split.train.user_index < 0), split.test, split.candidates
    )
    retrieval = ContentModel(item_embeddings=genre_vectors).fit(split.train, tiny_data.item_text)
    with pytest.raises(DataError, match="validation and test"):
        evaluate_reranker(empty, tiny_data.item_text, retrieval, "unused")
