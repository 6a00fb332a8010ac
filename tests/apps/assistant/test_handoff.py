import pytest

from open_interpreter.apps.assistant.handoff import choose_threshold, handoff_scores
from open_interpreter.errors import DataError


def test_handoff_scores_count_out_of_scope_as_the_positive_class():
    scores = handoff_scores([0.8, 0.5], [0.2, 0.6], threshold=0.55)
    assert scores["precision"] == pytest.approx(0.5)  # caught 0.2, wrongly 0.5
    assert scores["recall"] == pytest.approx(0.5)  # 0.6 got through
    assert scores["handoff_rate_in_scope"] == pytest.approx(0.5)


def test_choose_threshold_separates_separable_scores_with_a_margin():
    threshold = choose_threshold([0.7, 0.8, 0.9], [0.1, 0.3, 0.5])
    assert threshold == pytest.approx(0.6)
    assert handoff_scores([0.7, 0.8, 0.9], [0.1, 0.3, 0.5], threshold)["f1"] == 1.0


def test_choose_threshold_trades_off_overlapping_scores():
    assert choose_threshold([0.71, 0.64, 0.80], [0.31, 0.42, 0.66]) == pytest.approx(0.685)
    with pytest.raises(DataError):
        choose_threshold([], [0.1])
