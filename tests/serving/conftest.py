"""The ``db`` fixture: every storage test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``OI_TEST_DATABASE_URL`` (``make test`` starts the server with
``scripts/postgres.sh`` and sets it). This session creates its own database there
(``oi_test_<random>``, so several sessions can share the server), migrates it once,
empties every table before each test, and drops it at the end. Without the variable the
PostgreSQL cases skip and say how to run them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from open_interpreter.storage import Base, Database
from open_interpreter.storage.db import upgrade

POSTGRES_SKIP = (
    "PostgreSQL tests need OI_TEST_DATABASE_URL: run `make test`, or "
    "`export OI_TEST_DATABASE_URL=$(./scripts/postgres.sh)`"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL server")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh, migrated database of this test session on the test server, or None."""
    server_url = os.environ.get("OI_TEST_DATABASE_URL")
    if not server_url:
        yield None
        return
    name = f"oi_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> Iterator[Database]:
    """An empty, migrated database: a SQLite file under ``tmp_path``, or PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'oi.db'}")
    else:
        if postgres_url is None:
            pytest.skip(POSTGRES_SKIP)
        database = Database(postgres_url, migrate=False)
        _empty_tables(database)
    try:
        yield database
    finally:
        database.dispose()


def _empty_tables(database: Database) -> None:
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
