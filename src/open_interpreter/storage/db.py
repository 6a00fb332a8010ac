"""Database connection: SQLite under ``$OI_HOME`` by default, PostgreSQL via ``OI_DATABASE_URL``.

The schema is created and upgraded with Alembic migrations (``storage/migrations``);
:func:`open_database` runs them, so a new or older database is brought up to date on
start.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from open_interpreter.paths import oi_home

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE = 10
"""Connections an engine keeps open."""
MAX_OVERFLOW = 40
"""Connections it may open beyond ``POOL_SIZE`` while busy. The API runs its routes on
AnyIO's 40 threads, and each may hold a connection: with fewer, threads holding requests
wait for connections, and under load the wait times out (``pool_timeout``, 30 s) into
errors, where it should only have queued requests for a thread."""


def database_url() -> str:
    """``OI_DATABASE_URL``, or a SQLite file ``$OI_HOME/oi.db``."""
    url = os.environ.get("OI_DATABASE_URL")
    if url:
        return url
    home = oi_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'oi.db'}"


def has_database() -> bool:
    """Whether a database is there to use: ``OI_DATABASE_URL`` is set, or ``$OI_HOME/oi.db``
    exists (the CLI uses a registry it finds, and never creates one just to look)."""
    return bool(os.environ.get("OI_DATABASE_URL")) or (oi_home() / "oi.db").is_file()


def make_engine(url: str) -> Engine:
    """Create an engine with room for a connection per thread of the API (``MAX_OVERFLOW``);
    SQLite gets WAL, a busy timeout and foreign keys."""
    pool = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, poolclass=QueuePool, **pool)

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every Alembic migration not yet applied to the database at ``url``.

    Safe to run from several processes at once: they take turns, under an advisory lock
    on PostgreSQL (``migrations/env.py``) and a lock file beside a SQLite file.

    A database already at a newer release's revision is left as it is (Alembic cannot
    migrate from a revision it does not know, and this code can use the newer schema:
    migrations only add), with a warning that says so.
    """
    from alembic import command

    with _sqlite_file_lock(url):
        applied = _applied_revision_at(url)
        if is_ahead(applied):
            logger.warning(newer_database_message(applied))
            return
        command.upgrade(_alembic_config(url), "head")


def _applied_revision_at(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return applied_revision(connection)
    finally:
        engine.dispose()


def is_ahead(applied: str | None) -> bool:
    """Whether a database at revision ``applied`` was migrated by a newer release."""
    return applied is not None and applied not in _known_revisions()


def newer_database_message(applied: str | None) -> str:
    """What to tell a user whose database a newer release migrated."""
    return (
        f"database revision {applied} is newer than this release's ({code_revision()}): "
        "this release keeps working on it (migrations only add), but it cannot migrate it; "
        "upgrade open-interpreter-nlp (`pip install -U open-interpreter-nlp`) to match"
    )


@contextlib.contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    lock = Path(parsed.database).with_name(Path(parsed.database).name + ".migrating")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.cache
def code_revision() -> str:
    """The newest migration this code ships (Alembic's head)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()


def is_behind(applied: str | None) -> bool:
    """Whether a database at revision ``applied`` lacks migrations this code ships.

    A revision this code does not know is a newer release's: the database is ahead,
    which a rolling upgrade passes through (migrations add, old code keeps working).
    """
    if applied is None:
        return True
    return applied != code_revision() and applied in _known_revisions()


@functools.cache
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    return frozenset(script.revision for script in scripts.walk_revisions())


def applied_revision(connection: Connection) -> str | None:
    """The migration applied to the database behind ``connection`` (None when empty)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def schema_revisions(url: str) -> tuple[str | None, str]:
    """The database's applied revision (None for an empty database) and the code's."""
    return _applied_revision_at(url), code_revision()


class Database:
    """An engine and its session factory, migrated to the latest schema on open."""

    def __init__(self, url: str | None = None, *, migrate: bool = True):
        self.url = url or database_url()
        if migrate:
            upgrade(self.url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        """True when the database is PostgreSQL (row locks with SKIP LOCKED are available)."""
        return self.engine.dialect.name == "postgresql"

    def session(self) -> Session:
        """A new session; use it as a context manager."""
        return self.sessions()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
