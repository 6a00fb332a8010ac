"""The liveness and readiness probes a deployment points its orchestrator at."""

from __future__ import annotations

from sqlalchemy import text

from open_interpreter.storage.db import code_revision

from ..fixtures.api import problem


def test_live_answers_without_a_key(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_while_the_schema_is_this_codes(client):
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_not_ready_while_migrations_are_pending(client, db):
    """A new server on an old schema (a release whose `oi db upgrade` has not run yet)."""
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        body = problem(client.get("/health/ready"), 503, "schema_pending")
        assert "0001" in body["detail"] and "oi db upgrade" in body["detail"]
        assert client.get("/health/live").status_code == 200
    finally:
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": code_revision()}
            )
