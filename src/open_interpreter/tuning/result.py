"""What a study returns: its trials, the best of them, and which settings mattered."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

_STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running"}


@dataclass
class TrialRecord:
    """One trial of a study.

    Attributes:
        number: The trial's number in the study (0 is the baseline when there is one).
        state: ``complete``, ``pruned``, ``failed``, ``running`` or ``waiting``.
        params: The settings it tried (the baseline's: the base values of the same settings).
        value: Its score: the metric of its final model (complete), or of its last
            epoch (pruned, running).
        epochs_run: Epochs it trained (validation scores reported).
        epochs_planned: Epochs it would have trained unpruned.
        pruned_at: The epoch after which it was pruned, if it was.
        seconds: Wall time, once finished.
        baseline: Whether it trained the base settings as they are.
        epoch_scores: The validation score reported after each epoch, in order.
        started: When it started (POSIX seconds), so a running trial's time can be told.
    """

    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    epochs_run: int
    epochs_planned: int | None
    pruned_at: int | None = None
    seconds: float | None = None
    baseline: bool = False
    epoch_scores: list[float] = field(default_factory=list)
    started: float | None = None

    @classmethod
    def of(cls, trial: Any) -> TrialRecord:
        """The record of an Optuna ``FrozenTrial``."""
        state = _STATES.get(trial.state.name, trial.state.name.lower())
        steps = sorted(trial.intermediate_values)
        value = trial.value
        if value is None and steps:
            value = trial.intermediate_values[steps[-1]]
        seconds = None
        if trial.datetime_start and trial.datetime_complete:
            seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        attrs = trial.user_attrs
        return cls(
            number=trial.number,
            state=state,
            params=attrs.get("params", dict(trial.params)),
            value=value,
            epochs_run=len(steps),
            epochs_planned=attrs.get("epochs_planned"),
            pruned_at=steps[-1] if state == "pruned" and steps else None,
            seconds=round(seconds, 2) if seconds is not None else None,
            baseline=bool(attrs.get("baseline", False)),
            epoch_scores=[float(trial.intermediate_values[step]) for step in steps],
            started=trial.datetime_start.timestamp() if trial.datetime_start else None,
        )

    @property
    def finished(self) -> bool:
        """Whether the trial has ended (complete, pruned or failed)."""
        return self.state not in ("running", "waiting")


@dataclass
class StudyResult:
    """The outcome of :meth:`OpenInterpreter.tune` (and of ``oi studies show``).

    Attributes:
        name: The study's name in its storage.
        storage: Where it is stored (password hidden).
        metric: The validation metric optimised.
        direction: ``maximize`` or ``minimize``.
        trials: Every trial, in order.
        best_params: The best trial's settings.
        best_value: The best trial's score.
        best_trial: The best trial's number.
        baseline_value: The baseline trial's score, when it completed.
        importances: How much each setting explained the score (fANOVA, summing to 1),
            once two searched trials completed.
        info: What else the study recorded: task, model, space, sampler, pruner.
        best_result: The best trial's ``FineTuneResult`` (in the process that ran it).
    """

    name: str
    storage: str
    metric: str
    direction: str
    trials: list[TrialRecord]
    best_params: dict[str, Any] = field(default_factory=dict)
    best_value: float | None = None
    best_trial: int | None = None
    baseline_value: float | None = None
    importances: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    best_result: Any = field(default=None, repr=False)

    @property
    def epochs_saved(self) -> float | None:
        """Share of the planned epochs that pruning skipped (finished trials only)."""
        done = [t for t in self.trials if t.state in ("complete", "pruned") and t.epochs_planned]
        planned = sum(t.epochs_planned or 0 for t in done)
        if not planned:
            return None
        return 1 - sum(t.epochs_run for t in done) / planned

    @property
    def gain(self) -> float | None:
        """How much the best trial beat the baseline (positive is better, either direction)."""
        if self.best_value is None or self.baseline_value is None:
            return None
        sign = 1 if self.direction == "maximize" else -1
        return sign * (self.best_value - self.baseline_value)

    @property
    def ended(self) -> bool:
        """Whether the study is over: the process running it said so (``info["ended"]``),
        or as many trials as it planned have finished and none is running."""
        if self.info.get("ended"):
            return True
        planned = self.info.get("n_trials")
        finished = [t for t in self.trials if t.finished]
        return bool(planned) and len(finished) >= planned and len(finished) == len(self.trials)

    def count(self, state: str) -> int:
        """How many trials are in ``state``."""
        return sum(t.state == state for t in self.trials)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "name": self.name,
            "storage": self.storage,
            "metric": self.metric,
            "direction": self.direction,
            "best_trial": self.best_trial,
            "best_value": self.best_value,
            "best_params": self.best_params,
            "baseline_value": self.baseline_value,
            "gain": self.gain,
            "epochs_saved": self.epochs_saved,
            "importances": self.importances,
            "info": self.info,
            "trials": [asdict(t) for t in self.trials],
        }

    def to_markdown(self) -> str:
        """The study as Markdown: a summary line, the trials table, the importances."""
        lines = [f"Study {self.name}: {self._summary()}", "", *trials_table(self.trials)]
        if self.importances:
            lines += ["", "| setting | importance |", "|---|---|"]
            lines += [f"| {k} | {v:.3f} |" for k, v in self.importances.items()]
        return "\n".join(lines)

    def _summary(self) -> str:
        parts = [
            f"{len(self.trials)} trials ({self.count('complete')} complete, "
            f"{self.count('pruned')} pruned)"
        ]
        if self.best_value is not None:
            parts.append(f"best {self.metric} {self.best_value:.4f} (trial {self.best_trial})")
        if self.gain is not None:
            parts.append(f"baseline {self.baseline_value:.4f}, gain {self.gain:+.4f}")
        if self.epochs_saved is not None:
            parts.append(f"pruning saved {self.epochs_saved:.0%} of the epochs")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.to_markdown()


class TrialList(list):
    """The trials as ``on_update`` receives them while a study runs: a list of
    :class:`TrialRecord` that also says what the study optimises, for a live table.

    Attributes:
        metric: The validation metric.
        direction: ``maximize`` or ``minimize``.
        n_trials: The trials planned.
    """

    def __init__(self, trials: list[TrialRecord], *, metric: str, direction: str, n_trials: int):
        super().__init__(trials)
        self.metric, self.direction, self.n_trials = metric, direction, n_trials


def trials_table(trials: list[TrialRecord]) -> list[str]:
    """Markdown rows of a trials table: number, state, score, epochs, settings."""
    rows = ["| trial | state | score | epochs | settings |", "|---|---|---|---|---|"]
    for t in trials:
        score = f"{t.value:.4f}" if t.value is not None else "-"
        epochs = f"{t.epochs_run}/{t.epochs_planned}" if t.epochs_planned else str(t.epochs_run)
        state = f"pruned at epoch {t.pruned_at}" if t.pruned_at else t.state
        name = f"{t.number} (baseline)" if t.baseline else str(t.number)
        rows.append(f"| {name} | {state} | {score} | {epochs} | {format_params(t.params)} |")
    return rows


def format_params(params: dict[str, Any]) -> str:
    """``learning_rate=3.2e-05, epochs=3`` (floats to 3 significant digits)."""
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )
