"""The trials of a study in the terminal, as they report: a live table or plain lines.

``oi tune`` and ``oi studies show NAME --watch`` draw the trials with :class:`TrialsView`:
on a terminal, a ``rich.live.Live`` table (trial, state, settings, score after each
epoch, final score, the epoch it was pruned after, duration, best so far) redrawn as
trials report; when stdout is not a terminal (a log file, a pipe, CI) or with
``--no-live``, one plain line per finished trial.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import click

from open_interpreter.tuning.result import StudyResult, TrialRecord, format_params
from open_interpreter.tuning.settings import LOWER_IS_BETTER


def live_wanted(no_live: bool) -> bool:
    """Whether to draw a live table: stdout is a terminal and ``--no-live`` was not given."""
    return not no_live and sys.stdout.isatty()


def best_so_far(trials: Iterable[TrialRecord], direction: str) -> list[float | None]:
    """For each trial in number order, the best final score of the complete trials up to
    and including it (None before the first complete one)."""
    better = max if direction == "maximize" else min
    best: float | None = None
    out = []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state == "complete" and trial.value is not None:
            best = trial.value if best is None else better(best, trial.value)
        out.append(best)
    return out


def duration(trial: TrialRecord, now: float | None = None) -> float | None:
    """The trial's wall time: its own once finished, the time since it started while running."""
    if trial.seconds is not None:
        return trial.seconds
    if trial.state == "running" and trial.started is not None:
        return max(0.0, (now if now is not None else time.time()) - trial.started)
    return None


def trial_line(trial: TrialRecord, metric: str, best: float | None) -> str:
    """One plain line for a finished trial, e.g. ``trial 2 pruned at epoch 1:
    entity_f1 0.4120 (epochs 0.4120) in 12.3 s; best so far 0.6100; learning_rate=0.0003``."""
    name = f"trial {trial.number}{' (baseline)' if trial.baseline else ''}"
    state = f"pruned at epoch {trial.pruned_at}" if trial.pruned_at else trial.state
    parts = [f"{name} {state}:"]
    if trial.value is not None:
        parts.append(f"{metric} {trial.value:.4f}")
    if trial.epoch_scores:
        parts.append(f"(epochs {' '.join(f'{v:.4f}' for v in trial.epoch_scores)})")
    if trial.seconds is not None:
        parts.append(f"in {trial.seconds:.1f} s")
    line = " ".join(parts)
    if best is not None:
        line += f"; best so far {best:.4f}"
    if trial.params:
        line += f"; {format_params(trial.params)}"
    return line


def trials_table(
    trials: list[TrialRecord],
    *,
    metric: str,
    direction: str,
    n_trials: int | None,
    title: str = "Trials",
    now: float | None = None,
) -> Any:
    """The trials as a ``rich`` table, one row per trial in number order."""
    from rich.table import Table

    ordered = sorted(trials, key=lambda t: t.number)
    finished = sum(t.finished for t in ordered)
    table = Table(
        "Trial",
        "State",
        f"{metric} by epoch",
        "Final",
        "Pruned at",
        "Time",
        "Best so far",
        "Settings",
        title=f"{title}: {finished} of {n_trials or len(ordered)} trials finished "
        f"({metric}, {direction})",
    )
    for column in table.columns[:-1]:
        column.no_wrap = True
    table.columns[2].no_wrap = False  # many epochs wrap; the settings fold
    table.columns[-1].overflow = "fold"
    for trial, best in zip(ordered, best_so_far(ordered, direction), strict=True):
        seconds = duration(trial, now)
        final = trial.value if trial.state == "complete" else None
        table.add_row(
            f"{trial.number}{' (baseline)' if trial.baseline else ''}",
            _state(trial.state),
            " ".join(f"{v:.3f}" for v in trial.epoch_scores) or "-",
            f"{final:.4f}" if final is not None else "-",
            f"epoch {trial.pruned_at}" if trial.pruned_at else "-",
            f"{seconds:.0f} s" if seconds is not None else "-",
            f"{best:.4f}" if best is not None else "-",
            format_params(trial.params) or "-",
        )
    return table


class TrialsView:
    """Shows a study's trials as they report: a live table, or one line per finished trial.

    Call :meth:`update` with the trials (``run_study``'s ``on_update`` does, and so does
    ``--watch`` after each poll); use it as a context manager so the live table stops.

    Args:
        n_trials: Trials planned (for the title).
        metric: The metric optimised; a :class:`~open_interpreter.tuning.TrialList`
            passed to :meth:`update` says it too.
        direction: ``maximize`` or ``minimize`` (default: from the metric).
        live: Draw a live table (else plain lines through ``echo``).
        title: The table's title.
        echo: Where plain lines go.
        console: The ``rich`` console of the live table (default: stdout).
    """

    def __init__(
        self,
        n_trials: int | None,
        *,
        metric: str | None = None,
        direction: str | None = None,
        live: bool = True,
        title: str = "Trials",
        echo: Callable[[str], None] = click.echo,
        console: Any = None,
    ):
        self.n_trials, self.title, self.echo = n_trials, title, echo
        self.metric = metric or "score"
        self.direction = direction or ("minimize" if metric in LOWER_IS_BETTER else "maximize")
        self.trials: list[TrialRecord] = []
        self.printed: set[int] = set()
        self.live = None
        if live:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(
                self, console=console or Console(), auto_refresh=True, refresh_per_second=1
            )

    def __enter__(self) -> TrialsView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None and self.live.is_started:
            self.live.refresh()
            self.live.stop()

    def __rich__(self) -> Any:
        """The table as it stands (redrawn each second, so running trials' time moves)."""
        return self.table()

    def table(self, now: float | None = None) -> Any:
        """The current trials table."""
        return trials_table(
            self.trials,
            metric=self.metric,
            direction=self.direction,
            n_trials=self.n_trials,
            title=self.title,
            now=now,
        )

    def update(self, trials: list[TrialRecord]) -> None:
        """Show ``trials``. The live table appears with the first report, so an error
        before training stands alone; plain lines are printed once per finished trial."""
        self.metric = getattr(trials, "metric", self.metric)
        self.direction = getattr(trials, "direction", self.direction)
        self.n_trials = getattr(trials, "n_trials", self.n_trials)
        self.trials = list(trials)
        if self.live is not None:
            if not self.live.is_started:
                self.live.start()
            self.live.refresh()
            return
        ordered = sorted(self.trials, key=lambda t: t.number)
        for trial, best in zip(ordered, best_so_far(ordered, self.direction), strict=True):
            if trial.finished and trial.number not in self.printed:
                self.printed.add(trial.number)
                self.echo(trial_line(trial, self.metric, best))

    def show_study(self, result: StudyResult) -> None:
        """Show a stored study's trials (what ``--watch`` reads at each poll)."""
        self.metric, self.direction = result.metric, result.direction
        self.n_trials = result.info.get("n_trials", self.n_trials)
        self.update(result.trials)


def _state(state: str) -> str:
    colours = {"complete": "green", "pruned": "yellow", "failed": "red", "running": "cyan"}
    return f"[{colours[state]}]{state}[/]" if state in colours else state
