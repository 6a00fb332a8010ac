"""The reports evaluation hands back: score tables and ``EvaluationReport``.

:class:`ClassificationReport` holds per-label precision / recall / F1 / support with
micro, macro and weighted averages; :class:`EntityReport` holds the same per entity
type. Both print in the layout of ``sklearn.metrics.classification_report(digits=3)``,
always with a ``micro avg`` row. :class:`EvaluationReport` is what
``OpenInterpreter.evaluate()`` returns: the tables plus accuracy, confusion matrix and
loss. It reads like its accuracy wherever a number is expected::

    >>> from open_interpreter.evaluation import evaluate_classification
    >>> report = evaluate_classification(["pos", "neg"], ["pos", "pos"], ["neg", "pos"],
    ...                                  task="sequence-classification")
    >>> f"{report:.2f}", report > 0.4
    ('0.50', True)

This module only holds, prints and (de)serialises results; the numbers are computed in
:mod:`open_interpreter.evaluation.metrics`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any, Literal, get_args

from open_interpreter.errors import ConfigError, DataError

Task = Literal["sequence-classification", "sentence-pair", "token-classification"]
TASKS: tuple[str, ...] = get_args(Task)

AVERAGES = ("micro", "macro", "weighted")
_HEADERS = ("precision", "recall", "f1-score", "support")
_DIGITS = 3


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 and support of one label, entity type or average."""

    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, float | int]:
        """Return ``{"precision", "recall", "f1", "support"}`` as plain JSON numbers."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scores:
        """Rebuild scores written by :meth:`to_dict`."""
        return cls(
            precision=float(data["precision"]),
            recall=float(data["recall"]),
            f1=float(data["f1"]),
            support=int(data["support"]),
        )


def _format_row(name: str, scores: Scores, width: int) -> str:
    numbers = "".join(f" {x:>9.{_DIGITS}f}" for x in (scores.precision, scores.recall, scores.f1))
    return f"{name:>{width}s} {numbers} {scores.support:>9}"


def _format_table(rows: Mapping[str, Scores], averages: Mapping[str, Scores]) -> str:
    # Same widths as sklearn's classification_report so the two can be diffed.
    width = max(len("weighted avg"), _DIGITS, *(len(name) for name in rows))
    lines = [f"{'':>{width}s} " + "".join(f" {h:>9}" for h in _HEADERS), ""]
    if rows:
        lines += [_format_row(name, scores, width) for name, scores in rows.items()]
        lines.append("")
    lines += [_format_row(name, scores, width) for name, scores in averages.items()]
    return "\n".join(lines)


def _averages(table: ClassificationReport | EntityReport) -> dict[str, Scores]:
    return {"micro avg": table.micro, "macro avg": table.macro, "weighted avg": table.weighted}


def _table_to_dict(rows: Mapping[str, Scores], averages: Mapping[str, Scores]) -> dict:
    return {name: scores.to_dict() for name, scores in {**rows, **averages}.items()}


def _table_from_dict(data: Mapping[str, Any]) -> tuple[dict[str, Scores], dict[str, Scores]]:
    averages = {avg: Scores.from_dict(data[f"{avg} avg"]) for avg in AVERAGES}
    rows = {name: Scores.from_dict(s) for name, s in data.items() if not name.endswith(" avg")}
    return rows, averages


@dataclass(frozen=True)
class ClassificationReport:
    """Per-label precision / recall / F1 / support with micro, macro and weighted averages.

    Build one with :func:`~open_interpreter.evaluation.classification_report`.
    ``str(report)`` prints sklearn's ``classification_report(digits=3)`` layout, except
    that the ``micro avg`` row is always shown (sklearn shows ``accuracy`` instead when
    every label is listed; the numbers are then the same).
    """

    per_label: dict[str, Scores]
    micro: Scores
    macro: Scores
    weighted: Scores

    @property
    def labels(self) -> list[str]:
        """The row labels, in report order."""
        return list(self.per_label)

    def __str__(self) -> str:
        return _format_table(self.per_label, _averages(self))

    def to_dict(self) -> dict[str, dict[str, float | int]]:
        """Return ``{label: {precision, recall, f1, support}, "micro avg": ..., ...}``."""
        return _table_to_dict(self.per_label, _averages(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassificationReport:
        """Rebuild a report written by :meth:`to_dict`."""
        rows, averages = _table_from_dict(data)
        return cls(per_label=rows, **averages)


@dataclass(frozen=True)
class EntityReport:
    """Entity-level precision / recall / F1 per entity type (PER, ORG, ...).

    Build one with :func:`~open_interpreter.evaluation.entity_report` (seqeval, strict
    IOB2: an entity counts only if its type and exact span match). Printed in the same
    layout as :class:`ClassificationReport`, one row per entity type.
    """

    per_type: dict[str, Scores]
    micro: Scores
    macro: Scores
    weighted: Scores

    @property
    def types(self) -> list[str]:
        """The entity types, in report order."""
        return list(self.per_type)

    def __str__(self) -> str:
        return _format_table(self.per_type, _averages(self))

    def to_dict(self) -> dict[str, dict[str, float | int]]:
        """Return ``{type: {precision, recall, f1, support}, "micro avg": ..., ...}``."""
        return _table_to_dict(self.per_type, _averages(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntityReport:
        """Rebuild a report written by :meth:`to_dict`."""
        rows, averages = _table_from_dict(data)
        return cls(per_type=rows, **averages)


@dataclass(frozen=True, kw_only=True)
class EvaluationReport:
    """What ``OpenInterpreter.evaluate()`` returns: every metric of one evaluation run.

    Acts as its accuracy where a number is expected: ``float(report)``,
    ``f"{report:.3f}"`` and ``report > 0.9`` all use :attr:`accuracy`; ``str(report)``
    (or ``f"{report}"``) is the full readable block. Build one with
    :func:`~open_interpreter.evaluation.evaluate_classification` or
    :func:`~open_interpreter.evaluation.evaluate_token_classification`.
    """

    task: Task
    """``"sequence-classification"``, ``"sentence-pair"`` or ``"token-classification"``."""
    accuracy: float
    """Share of correct predictions: per example, or per real token for NER."""
    macro_f1: float
    """Unweighted mean F1 over the rows of :attr:`report` (token labels for NER), labels
    with no examples in the data (support 0, F1 0) included, as scikit-learn counts the
    ``labels=`` it is given; ``str(report)`` names them and gives the mean without them."""
    report: ClassificationReport
    """Per-label scores; for NER per token tag, ``O`` included."""
    entities: EntityReport | None = None
    """Entity-level scores (NER only)."""
    confusion_matrix: list[list[int]]
    """Counts, row = gold label, column = predicted label, both in :attr:`labels` order."""
    labels: list[str]
    """The model's labels: the row and column order of :attr:`confusion_matrix`."""
    loss: float | None = None
    """Mean loss on the split, when it was computed."""
    num_examples: int
    """Examples evaluated (sentences for NER)."""
    split: str = "test"
    """Which split was evaluated (``"test"``, ``"validation"``, ...)."""

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"unknown task: got task={self.task!r}, expected one of {TASKS}")

    @property
    def entity_f1(self) -> float | None:
        """Micro-averaged entity F1 (NER), else ``None``."""
        return None if self.entities is None else self.entities.micro.f1

    @property
    def headline(self) -> float:
        """The one number to compare runs by: entity micro F1 for NER, accuracy otherwise."""
        return self.accuracy if self.entities is None else self.entities.micro.f1

    def metrics(self) -> dict[str, float]:
        """Flat scalar metrics for logging and early stopping.

        Returns:
            ``accuracy`` and ``macro_f1``; ``entity_f1``, ``entity_precision`` and
            ``entity_recall`` for NER; ``loss`` when known.

        Example:
            >>> sorted(report.metrics())  # a classification report with a loss
            ['accuracy', 'loss', 'macro_f1']
        """
        out = {"accuracy": self.accuracy, "macro_f1": self.macro_f1}
        if self.entities is not None:
            out["entity_f1"] = self.entities.micro.f1
            out["entity_precision"] = self.entities.micro.precision
            out["entity_recall"] = self.entities.micro.recall
        if self.loss is not None:
            out["loss"] = self.loss
        return out

    def _header(self) -> str:
        size = _count(self.num_examples, "example")
        if self.entities is not None:
            tokens = sum(map(sum, self.confusion_matrix))
            size = f"{_count(self.num_examples, 'sentence')} ({_count(tokens, 'token')})"
        parts = [size, f"accuracy {self.accuracy:.3f}", f"macro-F1 {self.macro_f1:.3f}"]
        if self.entities is not None:
            parts.append(f"entity F1 {self.entities.micro.f1:.3f}")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        return f"{self.task} on {self.split}: " + ", ".join(parts)

    def __str__(self) -> str:
        note = _absent_labels_note(self.report)
        if self.entities is None:
            return f"{self._header()}\n\n{self.report}{note}"
        return (
            f"{self._header()}\n\nToken level\n{self.report}{note}"
            f"\n\nEntity level (strict IOB2)\n{self.entities}"
        )

    def _repr_html_(self) -> str:
        """The report as HTML tables, for notebooks (labels escaped)."""
        from open_interpreter.evaluation.html import paragraph, scores_table

        note = _absent_labels_note(self.report).strip()
        level = "Token level" if self.entities is not None else ""
        parts = [
            paragraph(self._header()),
            scores_table(self.report.per_label, _averages(self.report), level),
        ]
        if note:
            parts.append(paragraph(note))
        if self.entities is not None:
            parts.append(
                scores_table(
                    self.entities.per_type, _averages(self.entities), "Entity level (strict IOB2)"
                )
            )
        return "<div>" + "".join(parts) + "</div>"

    def __float__(self) -> float:
        return float(self.accuracy)

    def __format__(self, format_spec: str) -> str:
        return format(self.accuracy, format_spec) if format_spec else str(self)

    def __lt__(self, other: object) -> bool:
        value = _number(other)
        return NotImplemented if value is None else self.accuracy < value

    def __le__(self, other: object) -> bool:
        value = _number(other)
        return NotImplemented if value is None else self.accuracy <= value

    def __gt__(self, other: object) -> bool:
        value = _number(other)
        return NotImplemented if value is None else self.accuracy > value

    def __ge__(self, other: object) -> bool:
        value = _number(other)
        return NotImplemented if value is None else self.accuracy >= value

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON values (nested reports via their ``to_dict``)."""
        return {
            "task": self.task,
            "split": self.split,
            "num_examples": self.num_examples,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "loss": self.loss,
            "labels": list(self.labels),
            "confusion_matrix": [list(row) for row in self.confusion_matrix],
            "report": self.report.to_dict(),
            "entities": None if self.entities is None else self.entities.to_dict(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON to ``path`` (parent folders are created).

        Args:
            path: Where to write, e.g. ``runs/sst2/eval-test.json``.

        Returns:
            The path written.

        Example:
            >>> report.save("runs/sst2/eval-test.json")
            PosixPath('runs/sst2/eval-test.json')
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        """Rebuild a report written by :meth:`to_dict`.

        Raises:
            DataError: If a field is missing.
        """
        try:
            entities = data.get("entities")
            loss = data.get("loss")
            return cls(
                task=data["task"],
                split=data["split"],
                num_examples=int(data["num_examples"]),
                accuracy=float(data["accuracy"]),
                macro_f1=float(data["macro_f1"]),
                loss=None if loss is None else float(loss),
                labels=[str(label) for label in data["labels"]],
                confusion_matrix=[[int(n) for n in row] for row in data["confusion_matrix"]],
                report=ClassificationReport.from_dict(data["report"]),
                entities=None if entities is None else EntityReport.from_dict(entities),
            )
        except KeyError as missing:
            raise DataError(f"evaluation report has no {missing.args[0]!r} field") from None

    @classmethod
    def load(cls, path: str | Path) -> EvaluationReport:
        """Read a report written by :meth:`save`.

        Raises:
            DataError: If the file is not JSON or a field is missing.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise DataError(f"not JSON: {err}", source=str(path), line=err.lineno) from None
        return cls.from_dict(data)


def _absent_labels_note(report: ClassificationReport) -> str:
    """A note under the table naming the labels with no examples in the data (support 0):
    they score 0 and count in the macro average, as in scikit-learn with ``labels=``."""
    absent = [name for name, scores in report.per_label.items() if scores.support == 0]
    present = [scores.f1 for scores in report.per_label.values() if scores.support > 0]
    if not absent or not present:
        return ""
    return (
        f"\n\nNo examples here of {', '.join(absent)} (support 0): scored 0 and counted in "
        f"macro avg; macro-F1 over the {_count(len(present), 'label')} present: "
        f"{sum(present) / len(present):.3f}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(other: object) -> float | None:
    if isinstance(other, EvaluationReport):
        return other.accuracy
    if isinstance(other, Real):
        return float(other)
    return None
