"""Side-by-side metrics of two evaluations of the same task and split.

Used to show what fine-tuning bought: the model with only its new head trained
(before) against the fine-tuned model (after)::

    >>> print(BeforeAfter(head_only, fine_tuned))
    sequence-classification on test: before → after
    accuracy  0.412 → 0.913  (+0.501)
    macro_f1  0.300 → 0.912  (+0.612)
"""

from __future__ import annotations

from dataclasses import dataclass

from open_interpreter.errors import DataError
from open_interpreter.evaluation.report import EvaluationReport


@dataclass(frozen=True)
class BeforeAfter:
    """Two evaluation reports of one task and split, compared metric by metric.

    Args:
        before: The earlier report (e.g. head only).
        after: The later report (e.g. after fine-tuning).

    Raises:
        DataError: If the reports are for different tasks or splits.
    """

    before: EvaluationReport
    after: EvaluationReport

    def __post_init__(self) -> None:
        for field in ("task", "split"):
            old, new = getattr(self.before, field), getattr(self.after, field)
            if old != new:
                raise DataError(f"cannot compare reports of different {field}s: {old!r}, {new!r}")

    def changes(self) -> dict[str, tuple[float, float, float]]:
        """Return ``{metric: (before, after, after - before)}`` for metrics both reports have.

        Example:
            >>> BeforeAfter(head_only, fine_tuned).changes()["accuracy"]
            (0.412, 0.913, 0.501)
        """
        old, new = self.before.metrics(), self.after.metrics()
        return {name: (old[name], new[name], new[name] - old[name]) for name in old if name in new}

    def __str__(self) -> str:
        rows = [
            (name, f"{old:.3f}", f"{new:.3f}", f"{delta:+.3f}")
            for name, (old, new, delta) in self.changes().items()
        ]
        name_w = max(len(r[0]) for r in rows)
        old_w = max(len(r[1]) for r in rows)
        new_w = max(len(r[2]) for r in rows)
        lines = [f"{self.after.task} on {self.after.split}: before → after"]
        lines += [
            f"{name:<{name_w}}  {old:>{old_w}} → {new:>{new_w}}  ({delta})"
            for name, old, new, delta in rows
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The comparison as an HTML table, for notebooks."""
        from open_interpreter.evaluation.html import table

        rows = [
            (name, f"{old:.3f}", f"{new:.3f}", f"{delta:+.3f}")
            for name, (old, new, delta) in self.changes().items()
        ]
        caption = f"{self.after.task} on {self.after.split}: before → after"
        return table(["metric", "before", "after", "change"], rows, caption)

    def to_dict(self) -> dict:
        """Return ``{"task", "split", "metrics": {name: {before, after, change}}}``."""
        return {
            "task": self.after.task,
            "split": self.after.split,
            "metrics": {
                name: {"before": old, "after": new, "change": delta}
                for name, (old, new, delta) in self.changes().items()
            },
        }
