"""A progress bar over the batches of a scoring run, where someone waits for it.

Scoring a whole data set can take a minute on a CPU. A caller that makes the user wait
for one (``oi evaluate``, the scoring before and after fine-tuning, ``evaluate()`` in
Python) wraps the work in :func:`scoring_progress`; the forward pass
(:func:`~open_interpreter.tasks.forward.forward`) iterates its batches through
:func:`tracked`, which then shows a bar on stderr (the ``rich`` bar the training loop
uses; in a Jupyter notebook, a live widget under the cell). Nothing is shown when
stderr is neither a terminal nor a notebook, when the caller turned it off
(``progress=False``, ``oi --quiet``), nor for scoring nobody announced: validation
inside the training loop runs under the training bar, and a server's predictions are
nobody's wait.

Example:
    >>> with scoring_progress("scoring test"):  # doctest: +SKIP
    ...     report = inference.evaluate(bundle, examples, "test")
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_ANNOUNCED: ContextVar[str | None] = ContextVar("oi_scoring_progress", default=None)


@contextmanager
def scoring_progress(description: str, *, enabled: bool = True) -> Iterator[None]:
    """Show a bar, labelled ``description``, over the batches scored inside the block.

    Args:
        description: What is being scored, e.g. ``"scoring test"``.
        enabled: False shows nothing (``progress=False``, ``--quiet``).
    """
    token = _ANNOUNCED.set(description if enabled else None)
    try:
        yield
    finally:
        _ANNOUNCED.reset(token)


def tracked(batches: Sequence[T]) -> Iterator[T]:
    """Yield ``batches``, advancing a bar when :func:`scoring_progress` asked for one and
    stderr is a terminal.

    Args:
        batches: The batches a forward pass runs, in order.

    Yields:
        Each batch, after the bar shows the ones done so far.
    """
    description = _ANNOUNCED.get()
    bar = _bar(description, len(batches)) if description is not None else None
    if bar is None:
        yield from batches
        return
    progress, task = bar
    try:
        for batch in batches:
            yield batch
            progress.advance(task)
    finally:
        progress.stop()


def _bar(description: str, total: int) -> tuple[Any, Any] | None:
    """A started bar for a scoring run and its task, or None when stderr is not a terminal."""
    from rich.markup import escape
    from rich.progress import TextColumn

    progress = terminal_bar(escape(description), TextColumn("batches"), transient=True)
    if progress is None:
        return None
    task = progress.add_task(description, total=total)
    progress.start()
    return progress, task


def terminal_bar(label: str, *columns: Any, transient: bool = False) -> Any | None:
    """A ``rich`` progress bar on stderr: ``label``, the bar, done/total, ``columns``, the
    time taken and the time left; None when stderr is not a terminal (stdout stays the
    program's own, and logs carry the progress elsewhere). In a Jupyter notebook the bar
    is a live widget under the cell (``rich`` draws it with ``ipywidgets``: ``pip install
    "open-interpreter-nlp[notebook]"``).

    Args:
        label: The bar's name (rich markup).
        columns: ``rich`` columns shown after done/total.
        transient: Remove the bar when it stops.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not (console.is_terminal or console.is_jupyter):
        return None
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )
