"""A watched directory: each new ``.jsonl`` or ``.csv`` file dropped into it is ingested
once, then moved to ``done/`` (or, when malformed, to ``failed/`` beside a ``.error.txt``
saying which line and why).

A file is taken only once it has not changed for ``settle_seconds`` (a writer still
copying it is left alone), and names starting with ``.`` or ending in ``.part`` or
``.tmp`` are skipped, so writing ``x.jsonl.part`` then renaming it is the safe way to drop
a file. Should the process stop between ingesting a file and moving it, the next look
ingests it again: its documents are known by id and count as duplicates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.errors import ConfigError, OpenInterpreterError

logger = logging.getLogger(__name__)

SUFFIXES = (".jsonl", ".ndjson", ".csv")
SKIPPED_ENDINGS = (".part", ".tmp")


@dataclass
class WatchedFile:
    """What became of one file: ``done`` (with the ingestion's counts) or ``failed``."""

    name: str
    outcome: str
    stored: int = 0
    duplicates: int = 0
    alerts: int = 0
    error: str | None = None


def ready_files(directory: Path, settle_seconds: float = 1.0) -> list[Path]:
    """The files in ``directory`` to ingest now, oldest first."""
    now = time.time()
    found = []
    for path in directory.iterdir():
        name = path.name.lower()
        if name.startswith(".") or name.endswith(SKIPPED_ENDINGS) or not path.is_file():
            continue
        if not name.endswith(SUFFIXES):
            continue
        modified = path.stat().st_mtime
        if now - modified >= settle_seconds:
            found.append((modified, path.name, path))
    return [path for _, _, path in sorted(found)]


def watch_once(
    monitor: Any, directory: str | Path, *, batch_size: int = 64, settle_seconds: float = 1.0
) -> list[WatchedFile]:
    """Ingest each ready file in ``directory`` into ``monitor`` and move it away.

    Raises:
        ConfigError: ``directory`` is not a directory.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"not a directory: {directory}")
    outcomes = []
    for path in ready_files(directory, settle_seconds):
        try:
            result = monitor.replay(path, batch_size=batch_size)
        except OpenInterpreterError as error:
            failed = _move(path, directory / "failed")
            failed.with_name(failed.name + ".error.txt").write_text(f"{error}\n", encoding="utf-8")
            logger.warning("%s not ingested: %s", path.name, error)
            outcomes.append(WatchedFile(path.name, "failed", error=str(error)))
            continue
        _move(path, directory / "done")
        outcomes.append(
            WatchedFile(path.name, "done", result.stored, result.duplicates, len(result.alerts))
        )
    return outcomes


def watch(
    monitor: Any,
    directory: str | Path,
    *,
    poll_seconds: float = 2.0,
    batch_size: int = 64,
    settle_seconds: float = 1.0,
    on_file: Callable[[WatchedFile], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Look at ``directory`` every ``poll_seconds`` and ingest what arrives, until
    ``should_stop()`` (or an interrupt)."""
    while not should_stop():
        for outcome in watch_once(
            monitor, directory, batch_size=batch_size, settle_seconds=settle_seconds
        ):
            if on_file is not None:
                on_file(outcome)
        time.sleep(poll_seconds)


def _move(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder``, never over a file already there."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    while target.exists():
        target = folder / f"{path.stem}.{number}{path.suffix}"
        number += 1
    return path.rename(target)
