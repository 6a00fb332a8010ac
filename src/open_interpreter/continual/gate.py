"""The champion / challenger gate: a continued version replaces the production one only if
it keeps every earlier task (within a margin) and does better on the new one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GateDecision:
    """Whether a challenger may be promoted, and why (or why not).

    Attributes:
        promoted: Whether it passes the gate.
        reasons: One line per check, in task order; the failed ones say by how much.
        metric: The score compared.
        margin: How much worse than the champion an earlier task may get.
        tasks: The tasks compared, the new one last.
        challenger: The challenger's score per task.
        champion: The champion's score per task (None when there is no champion).
    """

    promoted: bool
    reasons: list[str]
    metric: str
    margin: float
    tasks: list[str]
    challenger: list[float]
    champion: list[float] | None = None
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data."""
        return {
            "promoted": self.promoted,
            "reasons": self.reasons,
            "failed": self.failed,
            "metric": self.metric,
            "margin": self.margin,
            "tasks": self.tasks,
            "challenger": self.challenger,
            "champion": self.champion,
        }


def judge(
    *,
    tasks: list[str],
    challenger: list[float],
    champion: list[float] | None,
    metric: str,
    margin: float,
) -> GateDecision:
    """Compare a challenger with the champion on every task's evaluation set.

    It passes when, on every earlier task, it scores at least the champion's score minus
    ``margin``, and on the new (last) task strictly more than the champion. Without a
    champion it passes (it becomes the first production version).

    Example:
        >>> judge(tasks=["a", "b"], challenger=[0.9, 0.8], champion=[0.92, 0.1],
        ...       metric="accuracy", margin=0.05).promoted
        True
    """
    decision = GateDecision(False, [], metric, margin, tasks, challenger, champion)
    if champion is None:
        decision.promoted = True
        decision.reasons.append("no production version: the first one is promoted")
        return decision
    last = len(tasks) - 1
    for j, task in enumerate(tasks):
        ours, theirs = challenger[j], champion[j]
        if j < last:
            ok = ours >= theirs - margin
            rule = f"not worse than {theirs:.4f} by more than {margin:g}"
        else:
            ok = ours > theirs
            rule = f"better than the champion's {theirs:.4f} (new task)"
        line = f"{task}: {metric} {ours:.4f} {'is' if ok else 'is NOT'} {rule}"
        decision.reasons.append(line)
        if not ok:
            decision.failed.append(line)
    decision.promoted = not decision.failed
    return decision
