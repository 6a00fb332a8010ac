"""Continual learning: a saved model keeps learning from new data without forgetting what
it knew, and the forgetting is measured (see docs/continual.md).

Example:
    >>> from open_interpreter.bundle import ModelBundle
    >>> from open_interpreter.continual import continue_training
    >>> bundle = ModelBundle.load("runs/topics-v1")  # doctest: +SKIP
    >>> step = continue_training(bundle, "new.csv", strategy="replay",
    ...                          output_dir="runs/topics-v2")  # doctest: +SKIP
    >>> print(step.report.to_markdown())  # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from open_interpreter.continual.replay import ReplayBuffer
from open_interpreter.continual.report import ContinualReport
from open_interpreter.continual.settings import STRATEGIES, ContinualSettings
from open_interpreter.continual.state import ContinualState

if TYPE_CHECKING:
    from open_interpreter.continual.recipe import (
        ContinualResult,
        continue_training,
        report_of,
        scores_on,
    )

_RECIPE = ("ContinualResult", "continue_training", "report_of", "scores_on")
"""Imported on first use: the recipe trains (torch), and a server with the ONNX backend
reads drift and continual records without it."""


def __getattr__(name: str) -> Any:
    """The recipe's names, imported when first asked for (PEP 562)."""
    if name in _RECIPE:
        from open_interpreter.continual import recipe

        return getattr(recipe, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "STRATEGIES",
    "ContinualReport",
    "ContinualResult",
    "ContinualSettings",
    "ContinualState",
    "ReplayBuffer",
    "continue_training",
    "report_of",
    "scores_on",
]
