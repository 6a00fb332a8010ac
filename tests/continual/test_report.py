"""The continual report's numbers, checked by hand on a small matrix, and the gate."""

from __future__ import annotations

import pytest

from open_interpreter.continual import ContinualReport
from open_interpreter.continual.gate import judge


def _report(matrix):
    tasks = [f"t{j}" for j in range(len(matrix))]
    steps = [{"strategy": "naive"} for _ in matrix]
    return ContinualReport(model="m", metric="accuracy", tasks=tasks, matrix=matrix, steps=steps)


def test_average_backward_transfer_and_forgetting_follow_their_definitions():
    report = _report([[0.9], [0.7, 0.8], [0.5, 0.85, 0.6]])
    assert report.average() == pytest.approx((0.5 + 0.85 + 0.6) / 3)
    # BWT: mean over j < T-1 of R[T-1][j] - R[j][j]
    assert report.backward_transfer() == pytest.approx(((0.5 - 0.9) + (0.85 - 0.8)) / 2)
    # forgetting: best earlier score minus last score (t1 got better: negative forgetting)
    assert report.forgetting() == pytest.approx({"t0": 0.4, "t1": -0.05})
    assert report.mean_forgetting() == pytest.approx(0.175)


def test_forgetting_uses_the_best_earlier_score_not_the_first():
    report = _report([[0.6], [0.9, 0.7], [0.5, 0.7, 0.7]])
    assert report.forgetting()["t0"] == pytest.approx(0.4)


def test_one_task_has_no_transfer_and_the_markdown_marks_unknown_cells():
    report = _report([[0.9]])
    assert report.backward_transfer() is None and report.forgetting() == {}
    longer = _report([[0.9], [0.7, 0.8]])
    text = longer.to_markdown()
    assert "| 0 (t0) | naive | 0.9000 | – |" in text
    assert "forgetting of t0: 0.2000" in text
    assert longer.to_dict()["backward_transfer"] == pytest.approx(-0.2)


def test_the_gate_promotes_only_without_regression_beyond_the_margin_and_a_gain_on_the_new_task():
    passing = judge(
        tasks=["a", "b"],
        challenger=[0.88, 0.9],
        champion=[0.9, 0.1],
        metric="accuracy",
        margin=0.03,
    )
    assert passing.promoted and not passing.failed
    forgot = judge(
        tasks=["a", "b"], challenger=[0.8, 0.9], champion=[0.9, 0.1], metric="accuracy", margin=0.03
    )
    assert not forgot.promoted
    assert forgot.failed == ["a: accuracy 0.8000 is NOT not worse than 0.9000 by more than 0.03"]
    no_gain = judge(
        tasks=["a", "b"], challenger=[0.9, 0.5], champion=[0.9, 0.5], metric="accuracy", margin=0.0
    )
    assert not no_gain.promoted and "new task" in no_gain.failed[0]
    first = judge(tasks=["a"], challenger=[0.5], champion=None, metric="accuracy", margin=0.0)
    assert first.promoted and "first" in first.reasons[0]
