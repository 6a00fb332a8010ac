"""BeforeAfter: the table of changes, and only between reports of one task and split."""

from __future__ import annotations

import pytest

from open_interpreter.errors import DataError
from open_interpreter.evaluation import BeforeAfter, EvaluationReport, evaluate_classification


def test_before_after_table(cls_report):
    before = evaluate_classification(
        ["pos", "neg", "neg", "pos"],
        ["neg", "pos", "pos", "pos"],
        ["neg", "pos"],
        task="sequence-classification",
    )
    compared = BeforeAfter(before, cls_report)
    assert str(compared) == (
        "sequence-classification on test: before → after\n"
        "accuracy  0.250 → 0.750  (+0.500)\n"
        "macro_f1  0.200 → 0.733  (+0.533)"
    )
    assert compared.to_dict()["metrics"]["accuracy"] == {
        "before": 0.25,
        "after": 0.75,
        "change": 0.5,
    }


def test_before_after_needs_same_task_and_split(cls_report, ner_report):
    with pytest.raises(DataError, match="different tasks"):
        BeforeAfter(cls_report, ner_report)
    other = EvaluationReport.from_dict({**cls_report.to_dict(), "split": "validation"})
    with pytest.raises(DataError, match="different splits: 'test', 'validation'"):
        BeforeAfter(cls_report, other)
