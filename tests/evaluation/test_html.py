"""Notebook HTML (``_repr_html_``) of reports, before/after comparisons, explanations and
robustness reports: the numbers are there and every label or text is escaped."""

from __future__ import annotations

from open_interpreter.analysis.explanation import Explanation
from open_interpreter.analysis.report import PerturbationScore, RobustnessReport, WorstExample
from open_interpreter.evaluation import BeforeAfter
from open_interpreter.evaluation.metrics import (
    evaluate_classification,
    evaluate_token_classification,
)

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _classification(right: int):
    gold = [SCRIPT, "b&c", SCRIPT, "b&c"]
    predicted = gold[:right] + [("b&c" if g == SCRIPT else SCRIPT) for g in gold[right:]]
    return evaluate_classification(gold, predicted, task="sequence-classification")


def test_an_evaluation_report_is_tables_with_escaped_labels():
    page = _classification(3)._repr_html_()
    assert "<script>" not in page and ESCAPED in page and "b&amp;c" in page
    assert "<table" in page and "0.750" in page  # accuracy 3/4 in the header
    for column in ("precision", "recall", "f1-score", "support", "macro avg"):
        assert column in page


def test_a_ner_report_has_its_entity_table():
    gold = [["B-PER", "O", "B-<x>"]]
    page = evaluate_token_classification(gold, [["B-PER", "O", "O"]])._repr_html_()
    assert "Entity level (strict IOB2)" in page and "Token level" in page
    assert "B-&lt;x&gt;" in page and "<x>" not in page


def test_before_after_is_a_table_of_changes():
    page = BeforeAfter(_classification(1), _classification(3))._repr_html_()
    assert "<script" not in page
    assert "0.250" in page and "0.750" in page and "+0.500" in page


def test_an_explanation_keeps_its_colours_and_escapes_its_text():
    explanation = Explanation(
        text=f"{SCRIPT} good",
        words=[SCRIPT, "good"],
        offsets=[(0, len(SCRIPT)), (len(SCRIPT) + 1, len(SCRIPT) + 5)],
        scores=[-0.2, 0.9],
        target="<b>positive</b>",
        method="occlusion",
        probability=0.8,
        task="sequence-classification",
    )
    page = explanation._repr_html_()
    assert "<script>" not in page and ESCAPED in page and "&lt;b&gt;positive" in page
    assert "rgba(22, 163, 74, 1.00)" in page  # "good", the strongest, fully green
    assert "<style>" in page and "body {" not in page  # never restyles the notebook


def test_a_robustness_report_and_its_comparison():
    def report(score: float) -> RobustnessReport:
        return RobustnessReport(
            model=SCRIPT,
            task="sequence-classification",
            metric="accuracy",
            examples=4,
            rate=0.1,
            seed=0,
            clean=0.9,
            perturbations=[PerturbationScore("typos", score, 0.9 - score, 0.1, 1.0, 0.25)],
            worst=[WorstExample("typos", 0, SCRIPT, "<i>x</i>", "pos", "pos", "neg", 0.9, 0.2)],
        )

    page = report(0.7)._repr_html_()
    assert "<script>" not in page and "<i>" not in page and ESCAPED in page
    assert "typos" in page and "<table" in page and "<html" not in page
    comparison = report(0.8).compare(report(0.7))._repr_html_()
    assert "typos" in comparison and "+0.100" in comparison and "<table" in comparison
