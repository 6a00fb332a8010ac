"""Which registered version a prediction request means, remembered for a moment.

A predict request names a model and perhaps a version or a stage; answering it needs that
version's number and directory. Looking them up is a database round trip, which under
load cost more of the event loop than the rest of the request. The answer is kept for
``ttl`` seconds: registry changes made through this server forget everything at once, and
changes made elsewhere (``oi models register`` / ``promote`` in another process, a worker
registering a job's model) are seen within ``ttl``.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.concurrency import run_in_threadpool

from open_interpreter.services.models import find_model
from open_interpreter.storage import Database

Key = tuple[str, int | None, str | None]
MAX_ENTRIES = 1024


class VersionLookup:
    """Model name (+ version or stage) → (version number, model directory), cached briefly.

    Args:
        db: The registry's database.
        ttl: Seconds an answer is reused.
    """

    def __init__(self, db: Database, ttl: float = 1.0):
        self.db = db
        self.ttl = ttl
        self._entries: dict[Key, tuple[float, int, Path]] = {}

    async def resolve(
        self, name: str, version: int | None = None, stage: str | None = None
    ) -> tuple[int, Path]:
        """The version number and directory ``name`` (+ ``version`` / ``stage``) means now.

        Raises:
            NotFoundError: No such model or version (never cached).
            ConfigError: An unknown stage.
        """
        key = (name, version, stage)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1], entry[2]
        number, path = await run_in_threadpool(self._look_up, key)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now, number, path)
        return number, path

    def forget(self) -> None:
        """Drop every answer: the registry changed."""
        self._entries.clear()

    def _look_up(self, key: Key) -> tuple[int, Path]:
        name, version, stage = key
        with self.db.session() as session:
            source = find_model(
                name, version=version, stage=stage, session=session, registered_only=True
            )
        assert source.version is not None  # registered_only: the registry named it
        return source.version, source.path
