"""The objective of a study: one trial is one fine-tune through the shared recipe.

Each trial builds its :class:`FineTuneConfig` from the base settings and the values it
draws, loads the base model afresh and runs the same recipe as ``fine_tune``, less its
scoring before and after training (``score_before_after=False``). After each epoch the
validation metric is reported to the trial; when the pruner says the trial
cannot catch up, :class:`optuna.TrialPruned` ends it there. Only the best trial's model
is kept in memory (at most two models at once: the one training and the best so far).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples
from open_interpreter.errors import ConfigError
from open_interpreter.training import recipe
from open_interpreter.training.result import FineTuneResult
from open_interpreter.tuning.space import SearchSpace, base_value, config_changes

logger = logging.getLogger(__name__)


class Objective:
    """Called by Optuna once per trial; returns the trial's validation score.

    Args:
        model_name: The base model every trial starts from.
        tokenizer_name: Its tokenizer (default: the model's own).
        head: ``(task, labels)`` asked for before tuning (``add_*_head``), if any.
        base: The settings every trial starts from.
        space: What the trials vary.
        metric: The validation metric reported and returned.
        direction: ``maximize`` or ``minimize``.
        splits: The training and validation examples, read once.
        notify: Called when a trial starts and after each reported epoch (a live
            table redraws).
    """

    def __init__(
        self,
        *,
        model_name: str,
        tokenizer_name: str | None,
        head: tuple[str, list[str] | None] | None,
        base: FineTuneConfig,
        space: SearchSpace,
        metric: str,
        direction: str,
        splits: dict[str, Examples],
        notify: Callable[[], None] | None = None,
    ):
        self.model_name, self.tokenizer_name, self.head = model_name, tokenizer_name, head
        self.base, self.space, self.splits = base, space, splits
        self.metric, self.direction = metric, direction
        self.notify = notify or (lambda: None)
        self.best_value: float | None = None
        self.best_bundle: ModelBundle | None = None
        self.best_result: FineTuneResult | None = None
        self.best_number: int | None = None
        self._lock = threading.Lock()

    def __call__(self, trial: Any) -> float:
        """Train one trial's configuration; return its final validation score."""
        if trial.user_attrs.get("baseline"):
            params = {name: base_value(self.base, name) for name in self.space.names}
            trial.set_user_attr("params", params)
            config = self.base
        else:
            params = self.space.suggest(trial)
            config = self.base.updated(**config_changes(params))
        planned = math.ceil(config.epochs) if config.max_steps is None else None
        trial.set_user_attr("epochs_planned", planned)
        self.notify()  # the trial shows as running, with its settings, from its start
        bundle = ModelBundle(self.model_name, self.tokenizer_name, config=config)
        bundle.load_model()
        bundle.load_tokenizer()
        if self.head is not None:
            bundle.set_head(*self.head)
        recipe.settle_task(bundle, self.splits["train"])
        logger.info("trial %d: %s", trial.number, params)
        result = recipe.run(
            bundle,
            self.splits,
            on_event=lambda event: self._report(trial, event),
            score_before_after=False,  # each epoch's score is all a study needs
        )
        value = self._value(result.after.metrics() if result.after else {})
        self._keep(trial.number, bundle, result, value)
        return value

    def _report(self, trial: Any, event: dict[str, Any]) -> None:
        """Report an epoch's validation score to the trial; stop the trial if told to."""
        import optuna

        if event["type"] != "evaluation":
            return
        value = self._value(event["metrics"])
        trial.report(value, event["epoch"])
        self.notify()
        if trial.should_prune():
            logger.info("trial %d pruned after epoch %d", trial.number, event["epoch"])
            raise optuna.TrialPruned(f"{self.metric}={value:.4f} after epoch {event['epoch']}")

    def _value(self, metrics: dict[str, float]) -> float:
        if self.metric not in metrics:
            raise ConfigError(
                f"metric={self.metric!r} was not measured; choose one of {sorted(metrics)}"
            )
        return float(metrics[self.metric])

    def _keep(self, number: int, bundle: ModelBundle, result: FineTuneResult, value: float) -> None:
        """Keep ``bundle`` if it is the best so far; the previous best is let go."""
        if math.isnan(value):
            return
        with self._lock:
            better = self.best_value is None or (
                value > self.best_value if self.direction == "maximize" else value < self.best_value
            )
            if better:
                self.best_value, self.best_number = value, number
                self.best_bundle, self.best_result = bundle, result
