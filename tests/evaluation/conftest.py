"""Two reports the report and comparison tests read: a tagger's and a classifier's."""

from __future__ import annotations

import pytest

from open_interpreter.evaluation import (
    EvaluationReport,
    evaluate_classification,
    evaluate_token_classification,
)

GOLD_NER = [["B-PER", "I-PER", "O", "B-LOC"]]
PRED_NER = [["B-PER", "I-PER", "O", "B-ORG"]]
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


@pytest.fixture
def ner_report() -> EvaluationReport:
    """One sentence, four tokens: PER found, LOC taken for ORG (loss 0.25, on dev)."""
    return evaluate_token_classification(GOLD_NER, PRED_NER, NER_LABELS, loss=0.25, split="dev")


@pytest.fixture
def cls_report() -> EvaluationReport:
    """Four texts, three right (on test)."""
    return evaluate_classification(
        ["pos", "neg", "neg", "pos"],
        ["pos", "pos", "neg", "pos"],
        ["neg", "pos"],
        task="sequence-classification",
    )
