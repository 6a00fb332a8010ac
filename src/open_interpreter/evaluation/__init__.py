"""Evaluation: accuracy, per-label and entity-level scores, and before/after comparisons.

``OpenInterpreter.evaluate()`` returns an :class:`EvaluationReport`; it prints as a
readable block and reads as its accuracy wherever a number is expected::

    >>> report = evaluate_classification(["pos", "neg"], ["pos", "pos"], ["neg", "pos"],
    ...                                  task="sequence-classification")
    >>> print(f"accuracy {report:.2f}")
    accuracy 0.50

scikit-learn and seqeval load only when scores are computed.
"""

from open_interpreter.evaluation.compare import BeforeAfter
from open_interpreter.evaluation.metrics import (
    classification_report,
    entity_report,
    evaluate_classification,
    evaluate_token_classification,
)
from open_interpreter.evaluation.report import (
    ClassificationReport,
    EntityReport,
    EvaluationReport,
    Scores,
)

__all__ = [
    "BeforeAfter",
    "ClassificationReport",
    "EntityReport",
    "EvaluationReport",
    "Scores",
    "classification_report",
    "entity_report",
    "evaluate_classification",
    "evaluate_token_classification",
]
