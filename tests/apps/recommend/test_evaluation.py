"""Splits and full-ranking metrics, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from open_interpreter.apps.recommend import (
    Interactions,
    Split,
    bootstrap_interval,
    cold_start_split,
    evaluate_ranking,
    leave_last_out,
)
from open_interpreter.errors import ConfigError, DataError


def _interactions(
    pairs: list[tuple[int, int, float]], users: int = 2, items: int = 5
) -> Interactions:
    u, i, t = (np.array(column) for column in zip(*pairs, strict=True))
    return Interactions(
        [f"u{n}" for n in range(users)],
        [f"i{n}" for n in range(items)],
        u.astype(np.int64),
        i.astype(np.int64),
        t.astype(float),
    )


def test_leave_last_out_holds_out_the_latest_two() -> None:
    data = _interactions([(0, 0, 3), (0, 1, 1), (0, 2, 2), (0, 3, 0), (1, 4, 0), (1, 0, 1)])
    split = leave_last_out(data)
    assert split.test.item_index.tolist() == [0]  # user 0's latest; user 1 has only 2
    assert split.validation.item_index.tolist() == [2]
    assert sorted(split.train.item_index.tolist()) == [0, 1, 3, 4]


def test_cold_start_hides_every_interaction_of_the_chosen_items(tiny_data) -> None:
    split = cold_start_split(tiny_data.interactions, share=0.25, seed=1, min_interactions=1)
    hidden = np.flatnonzero(split.candidates)
    assert len(hidden) == 6
    assert not np.isin(split.train.item_index, hidden).any()
    assert np.isin(split.test.item_index, hidden).all() and len(split.test)
    again = cold_start_split(tiny_data.interactions, share=0.25, seed=1, min_interactions=1)
    assert np.array_equal(again.candidates, split.candidates)
    with pytest.raises(ConfigError):
        cold_start_split(tiny_data.interactions, share=1.5)


def test_metrics_by_hand() -> None:
    # user 0 saw item 0; its target is item 3. Scores rank items 4, 3, 1, 2 (0 is masked).
    train = _interactions([(0, 0, 0), (1, 1, 0)])
    test = _interactions([(0, 3, 1), (1, 2, 1)])
    empty = train.subset(np.zeros(2, bool))
    split = Split(train, empty, test, np.ones(5, bool))
    scores = np.array([[9.0, 2, 1, 3, 4], [0.0, 9, 1, 2, 3]])
    report = evaluate_ranking(lambda users: scores[users], split, k=2, bootstrap=0)
    # user 0: target at rank 2 -> ndcg 1/log2(3), mrr 1/2; user 1 (item 1 masked): item 2
    # comes after 4 and 3, at rank 3
    assert report.metrics["recall@2"] == pytest.approx(0.5)
    assert report.metrics["ndcg@2"] == pytest.approx((1 / math.log2(3)) / 2)
    assert report.metrics["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert report.metrics["mrr@2"] == pytest.approx(1 / 4)
    assert report.metrics["coverage@2"] == pytest.approx(2 / 5)  # both users get items 4, 3


def test_bootstrap_interval_brackets_the_mean() -> None:
    values = np.random.default_rng(0).random(500)
    low, high = bootstrap_interval(values, resamples=300, seed=0)
    assert low < values.mean() < high and high - low < 0.1


def test_no_held_out_interactions_is_an_error(tiny_data) -> None:
    data = tiny_data.interactions
    split = Split(
        data,
        data.subset(np.zeros(len(data), bool)),
        data.subset(np.zeros(len(data), bool)),
        np.ones(data.n_items, bool),
    )
    with pytest.raises(DataError, match="no test interactions"):
        evaluate_ranking(lambda users: np.zeros((len(users), data.n_items)), split)


def test_random_split_cuts_each_user_by_ratio(tiny_data) -> None:
    from open_interpreter.apps.recommend import random_split

    split = random_split(tiny_data.interactions, ratios=(0.6, 0.2, 0.2), seed=3)
    for part, expected in ((split.train, 3), (split.validation, 1), (split.test, 1)):
        assert np.all(np.bincount(part.user_index, minlength=30) == expected)
    with pytest.raises(ConfigError):
        random_split(tiny_data.interactions, ratios=(0.5, 0.5, 0.5))


def test_ties_are_not_broken_by_item_index() -> None:
    # 200 users whose target is item 0 and whose scores are all equal: an index order would
    # put item 0 first for everyone; a random order finds it in the top 10 of 50 ~20% of times
    users, items = 200, 50
    train = _interactions([(u, 1 + u % 49, 0) for u in range(users)], users, items)
    test = _interactions([(u, 0, 1) for u in range(users)], users, items)
    split = Split(train, train.subset(np.zeros(users, bool)), test, np.ones(items, bool))
    report = evaluate_ranking(lambda u: np.zeros((len(u), items)), split, bootstrap=0)
    assert 0.1 < report.metrics["recall@10"] < 0.35
