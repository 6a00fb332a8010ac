"""Migration 0009 creates exactly the assistant API's tables as ``tables.py`` declares them,
and takes them away again."""

from __future__ import annotations

from open_interpreter.apps.assistant import tables  # noqa: F401  (declares them)

from ...fixtures.migrations import assert_migration_creates

API_TABLES = {"assistants", "assistant_sessions", "assistant_turns", "assistant_feedback"}


def test_migration_0009_matches_the_tables_and_downgrades(tmp_path):
    assert_migration_creates(tmp_path, "0009", "0008", API_TABLES)
