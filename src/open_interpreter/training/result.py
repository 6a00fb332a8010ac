"""What ``fine_tune`` returns: the run's history and its reports before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.evaluation import BeforeAfter, EvaluationReport
from open_interpreter.wording import plural

if TYPE_CHECKING:
    from open_interpreter.training.loop import TrainingResult  # torch


@dataclass
class FineTuneResult:
    """The outcome of :meth:`OpenInterpreter.fine_tune`.

    Attributes:
        task: The task trained (``token-classification``...).
        labels: The model's labels in id order.
        config: The settings used.
        training: Steps, loss history, per-epoch evaluations, throughput.
        before: Validation (or test) report of the untrained head, when such data was given.
        after: The same data scored after training.
        test: The test report, when test data was given.
        data: Sizes of the splits.
    """

    task: str
    labels: list[str]
    config: FineTuneConfig
    training: TrainingResult
    before: EvaluationReport | None = None
    after: EvaluationReport | None = None
    test: EvaluationReport | None = None
    data: dict[str, int] = field(default_factory=dict)

    @property
    def comparison(self) -> BeforeAfter | None:
        """Before/after table of the fine-tuning, when both reports exist."""
        if self.before is None or self.after is None:
            return None
        return BeforeAfter(self.before, self.after)

    def reports(self) -> dict[str, EvaluationReport]:
        """The reports that exist, by name."""
        found = {"before": self.before, "after": self.after, "test": self.test}
        return {name: report for name, report in found.items() if report is not None}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what is stored as ``metrics.json``)."""
        return {
            "task": self.task,
            "labels": self.labels,
            "data": self.data,
            "steps": self.training.steps,
            "train_seconds": round(self.training.train_seconds, 2),
            "samples_per_second": round(self.training.samples_per_second, 2),
            "bf16": self.training.bf16,
            "parameters": p.to_dict() if (p := self.training.parameters) else None,
            "stopped_early": self.training.stopped_early,
            "evaluations": self.training.evaluations,
            "best": self.training.best,
            "reports": {
                name: {**r.to_dict(), "text": str(r)} for name, r in self.reports().items()
            },
        }

    def __str__(self) -> str:
        t = self.training
        lines = [
            f"{self.task}: {plural(self.data.get('train', 0), 'training example')}, "
            f"{plural(t.steps, 'step')} in "
            f"{t.train_seconds:.1f}s ({t.samples_per_second:.1f} samples/s"
            f"{', bf16' if t.bf16 else ''}){', stopped early' if t.stopped_early else ''}",
        ]
        if t.parameters is not None:
            lines.append(str(t.parameters))
        if self.comparison is not None:
            lines += ["", "Before and after fine-tuning (validation):", str(self.comparison)]
        final = self.test or self.after
        if final is not None:
            lines += ["", str(final)]
        return "\n".join(lines)
