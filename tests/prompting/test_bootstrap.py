"""Bootstrap intervals and paired differences of prompt-evaluation scores."""

from __future__ import annotations

import random

import pytest

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import bootstrap_interval, paired_difference
from open_interpreter.prompting.bootstrap import metric_value


def test_perfect_predictions_have_a_point_interval():
    gold = ["a", "b", "c"] * 10
    assert bootstrap_interval(gold, gold, "accuracy") == (1.0, 1.0)
    assert bootstrap_interval(gold, gold, "macro-f1") == (1.0, 1.0)


def test_intervals_hold_the_estimate_are_seeded_and_narrow_with_more_data():
    rng = random.Random(0)
    gold = [rng.choice("abc") for _ in range(400)]
    pred = [g if rng.random() < 0.7 else rng.choice("abc") for g in gold]
    low, high = bootstrap_interval(gold, pred, "accuracy", seed=1)
    assert low < metric_value(gold, pred, "accuracy") < high
    assert (low, high) == bootstrap_interval(gold, pred, "accuracy", seed=1)
    small_low, small_high = bootstrap_interval(gold[:40], pred[:40], "accuracy", seed=1)
    assert small_high - small_low > high - low
    assert 0.02 < high - low < 0.15


def test_macro_f1_matches_scikit_learn_with_absent_labels():
    from sklearn.metrics import f1_score

    gold = ["a", "a", "b", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a", "a"]
    labels = ["a", "b", "c", "d"]
    expected = f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    assert metric_value(gold, pred, "macro-f1", labels) == pytest.approx(expected)


def test_paired_difference_of_a_better_prediction_set():
    gold = ["a", "b"] * 50
    worse = ["a"] * 100
    assert paired_difference(gold, worse, worse, "accuracy") == (0.0, 0.0, 0.0)
    difference, low, high = paired_difference(gold, worse, gold, "accuracy")
    assert difference == 0.5 and 0.38 < low <= 0.5 <= high < 0.62


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="metric"):
        bootstrap_interval(["a"], ["a"], "f2")
    with pytest.raises(DataError, match="as many"):
        bootstrap_interval(["a"], [], "accuracy")
    with pytest.raises(DataError, match="not among"):
        bootstrap_interval(["a"], ["z"], "accuracy", labels=["a"])
