"""Where a progress bar shows: a terminal, a Jupyter notebook, and nowhere else."""

from __future__ import annotations

import rich.console

from open_interpreter.progress import terminal_bar


def test_a_notebook_gets_a_live_bar(monkeypatch):
    monkeypatch.setattr(rich.console, "_is_jupyter", lambda: True)  # what IPython's kernel is
    bar = terminal_bar("training")
    assert bar is not None and bar.console.is_jupyter


def test_neither_a_terminal_nor_a_notebook_gets_no_bar(monkeypatch):
    monkeypatch.setattr(rich.console, "_is_jupyter", lambda: False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "dumb")
    assert terminal_bar("training") is None
