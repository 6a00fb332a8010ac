"""What a running job adds to its progress beyond step, loss and ETA.

- ``best_metric``: the best validation metric so far, chosen the way the training loop
  chooses what to keep (the early-stopping metric, else entity F1, accuracy, then loss);
- ``last_evaluation``: the newest validation metrics;
- ``resources``: CPU, memory and GPU memory of the job's process
  (:class:`~open_interpreter.services.resources.ProcessFigures`).

The job runner's event recorder feeds every event to :class:`RunFigures` and merges
:meth:`RunFigures.progress` into what it stores; the dashboard lists jobs by it.
"""

from __future__ import annotations

import math
from typing import Any

from open_interpreter.services.resources import ProcessFigures

_DEFAULT_METRICS = ("entity_f1", "accuracy", "loss")
_LOWER_IS_BETTER = frozenset({"loss", "perplexity"})


class RunFigures:
    """Tracks a job's best validation metric and measures its process.

    Args:
        metric: The metric to rank evaluations by (the job's ``early_stopping_metric``);
            None picks the first of entity F1, accuracy and loss that is measured.

    Example:
        >>> figures = RunFigures()
        >>> figures.observe({"type": "evaluation", "epoch": 1, "step": 6,
        ...                  "metrics": {"accuracy": 0.8, "loss": 0.5}})
        >>> figures.progress()["best_metric"]
        {'name': 'accuracy', 'value': 0.8, 'epoch': 1, 'step': 6}
    """

    def __init__(self, metric: str | None = None):
        self.metric = metric
        self._best: dict[str, Any] | None = None
        self._last: dict[str, Any] | None = None
        self._resources: dict[str, Any] | None = None
        self._process = ProcessFigures()

    def observe(self, event: dict[str, Any]) -> None:
        """Take note of a training event (only evaluations change anything)."""
        if event.get("type") != "evaluation":
            return
        metrics = event.get("metrics") or {}
        name = self.metric or next((m for m in _DEFAULT_METRICS if m in metrics), None)
        self._last = {"epoch": event.get("epoch"), "step": event.get("step"), "metrics": metrics}
        value = metrics.get(name) if name else None
        if not isinstance(value, int | float) or not math.isfinite(value):
            return
        if self._best is None or _better(name, value, self._best["value"]):
            self._best = {
                "name": name,
                "value": float(value),
                "epoch": event.get("epoch"),
                "step": event.get("step"),
            }

    def measure(self) -> dict[str, Any]:
        """Measure the process now; the figures also go into :meth:`progress`."""
        self._resources = self._process.measure()
        return self._resources

    def progress(self) -> dict[str, Any]:
        """The extra progress fields known so far."""
        found = {
            "best_metric": self._best,
            "last_evaluation": self._last,
            "resources": self._resources,
        }
        return {key: value for key, value in found.items() if value is not None}


def _better(name: str, value: float, best: float) -> bool:
    return value < best if name in _LOWER_IS_BETTER else value > best
