"""A progress bar for training: step, loss, throughput and time left."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

logger = logging.getLogger(__name__)


class TrainingProgress:
    """Shows a rich progress bar on stderr when enabled and stderr is a terminal; logs a
    line every 10% otherwise (stdout stays the program's own)."""

    def __init__(self, total_steps: int, *, enabled: bool, start_step: int = 0):
        self.total = total_steps
        self.enabled = enabled
        self._next_log = start_step
        self._bar = None
        self._task = None
        self._start_step = start_step
        if enabled:
            self._bar, self._task = _bar(total_steps, start_step)

    def __enter__(self) -> TrainingProgress:
        self._started = time.perf_counter()
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, step: int, loss: float, samples_per_second: float) -> None:
        """Report that ``step`` optimizer steps are done."""
        if self._bar is not None:
            self._bar.update(self._task, completed=step, loss=loss, rate=samples_per_second)
        elif step >= self._next_log or step == self.total:
            done = step - self._start_step
            elapsed = time.perf_counter() - self._started
            eta = elapsed / done * (self.total - step) if done else 0.0
            logger.info(
                "step %d/%d  loss %.4f  %.1f samples/s  ETA %.0fs",
                step,
                self.total,
                loss,
                samples_per_second,
                eta,
            )
            self._next_log = step + max(1, self.total // 10)


def _bar(total_steps: int, start_step: int) -> tuple[Any, Any]:
    """A rich bar on stderr and its task; (None, None) when stderr is not a terminal."""
    from rich.progress import TextColumn

    from open_interpreter.progress import terminal_bar

    bar = terminal_bar(
        "training",
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("{task.fields[rate]:.1f} samples/s"),
    )
    if bar is None:
        return None, None
    task = bar.add_task("train", total=total_steps, completed=start_step, loss=0.0, rate=0.0)
    return bar, task
