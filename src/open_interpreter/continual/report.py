"""The continual report: the score matrix and what it says about forgetting.

With ``R[i][j]`` the score on task ``j``'s evaluation set after training step ``i``
(``T`` steps, tasks ``0..T-1``), as Avalanche and the literature define them:

- average score: ``(1/T) Σ_j R[T-1][j]`` (Lopez-Paz & Ranzato 2017, "ACC");
- backward transfer: ``(1/(T-1)) Σ_{j<T-1} (R[T-1][j] − R[j][j])`` (Lopez-Paz & Ranzato
  2017, "BWT"; negative means forgetting; Avalanche's ``StreamBWT``);
- forgetting of task ``j < T-1``: ``max_{l<T-1} R[l][j] − R[T-1][j]`` (Chaudhry et al.
  2018), and their mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ContinualReport:
    """Scores of a model after each continued-training step on every task so far.

    Attributes:
        model: The model's name.
        metric: What the scores are (``accuracy``, ``entity_f1``).
        tasks: The tasks' names, in order.
        matrix: ``matrix[i][j]``, for ``j <= i`` (see the module's docstring).
        steps: Per step, its strategy and wall time (and whatever else was recorded).
    """

    model: str
    metric: str
    tasks: list[str]
    matrix: list[list[float]]
    steps: list[dict[str, Any]]

    def average(self) -> float | None:
        """The mean score over every task after the last step."""
        return sum(self.matrix[-1]) / len(self.matrix[-1]) if self.matrix else None

    def backward_transfer(self) -> float | None:
        """How the last step changed the earlier tasks' scores, on average (None with one task)."""
        last = len(self.matrix) - 1
        if last < 1:
            return None
        return sum(self.matrix[last][j] - self.matrix[j][j] for j in range(last)) / last

    def forgetting(self) -> dict[str, float]:
        """Per earlier task, its best score before the last step minus its last score."""
        last = len(self.matrix) - 1
        return {
            self.tasks[j]: max(self.matrix[i][j] for i in range(j, last)) - self.matrix[last][j]
            for j in range(last)
        }

    def mean_forgetting(self) -> float | None:
        """The mean of :meth:`forgetting` (None with one task)."""
        values = list(self.forgetting().values())
        return sum(values) / len(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "model": self.model,
            "metric": self.metric,
            "tasks": self.tasks,
            "matrix": self.matrix,
            "average": self.average(),
            "backward_transfer": self.backward_transfer(),
            "forgetting": self.forgetting(),
            "mean_forgetting": self.mean_forgetting(),
            "steps": self.steps,
        }

    def to_markdown(self) -> str:
        """The report as a Markdown section: the matrix, then the summary numbers."""
        lines = [
            f"## Continual report: {self.model}",
            "",
            f"Score: {self.metric} on each task's evaluation set (rows: after step i; "
            "columns: task j).",
            "",
            "| after step | strategy | " + " | ".join(self.tasks) + " |",
            "|---|---|" + "---:|" * len(self.tasks),
        ]
        for i, row in enumerate(self.matrix):
            cells = [f"{v:.4f}" for v in row] + ["–"] * (len(self.tasks) - len(row))
            strategy = self.steps[i].get("strategy", "") if i < len(self.steps) else ""
            lines.append(f"| {i} ({self.tasks[i]}) | {strategy} | " + " | ".join(cells) + " |")
        lines += ["", f"- average {self.metric}: {_number(self.average())}"]
        lines.append(f"- backward transfer: {_number(self.backward_transfer())}")
        lines.append(f"- mean forgetting: {_number(self.mean_forgetting())}")
        for task, value in self.forgetting().items():
            lines.append(f"  - forgetting of {task}: {value:.4f}")
        return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"
