"""Migration 0009 creates exactly the assistant API's tables as ``tables.py`` declares them,
and takes them away again; 0017 adds the hand-off webhook columns, and takes them away."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from open_interpreter.apps.assistant import tables  # noqa: F401  (declares them)
from open_interpreter.storage.db import _alembic_config

from ...fixtures.migrations import assert_migration_creates

API_TABLES = {"assistants", "assistant_sessions", "assistant_turns", "assistant_feedback"}


def test_migration_0009_matches_the_tables_and_downgrades(tmp_path):
    assert_migration_creates(
        tmp_path, "0009", "0008", API_TABLES, added_later={("assistants", "handoff_webhook")}
    )


def test_migration_0017_adds_the_hand_off_webhook_columns_and_takes_them_away(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    engine = create_engine(url)
    try:
        command.upgrade(_alembic_config(url), "0017")
        columns = {
            t: {c["name"] for c in inspect(engine).get_columns(t)}
            for t in ("assistants", "assistant_handoffs")
        }
        assert "handoff_webhook" in columns["assistants"]
        assert "delivery" in columns["assistant_handoffs"]
        command.downgrade(_alembic_config(url), "0016")
        engine.dispose()
        columns = {
            t: {c["name"] for c in inspect(engine).get_columns(t)}
            for t in ("assistants", "assistant_handoffs")
        }
        assert "handoff_webhook" not in columns["assistants"]
        assert "delivery" not in columns["assistant_handoffs"]
    finally:
        engine.dispose()
