"""The liveness and readiness probes a deployment points its orchestrator at."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import text

from open_interpreter.storage import Database
from open_interpreter.storage.db import code_revision

from ..fixtures.api import problem


@contextlib.contextmanager
def schema_at(db: Database, revision: str) -> Iterator[None]:
    """Pretend the database's schema is at ``revision`` for the block's duration."""
    update = text("UPDATE alembic_version SET version_num = :revision")
    with db.engine.begin() as connection:
        connection.execute(update, {"revision": revision})
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            connection.execute(update, {"revision": code_revision()})


def test_live_answers_without_a_key(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_while_the_schema_is_this_codes(client):
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_not_ready_while_migrations_are_pending(client, db):
    """A new server on an old schema (a release whose `oi db upgrade` has not run yet)."""
    with schema_at(db, "0001"):
        body = problem(client.get("/health/ready"), 503, "schema_pending")
        assert "0001" in body["detail"] and "oi db upgrade" in body["detail"]
        assert client.get("/health/live").status_code == 200


def test_ready_on_a_newer_releases_schema(client, db):
    """Old processes keep serving while a rolling upgrade has migrated ahead of them."""
    with schema_at(db, "f00dcafe"):
        assert client.get("/health/ready").status_code == 200
