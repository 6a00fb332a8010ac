"""Migration 0005 creates exactly the assistant's tables as ``tables.py`` declares them, and
takes them away again."""

from __future__ import annotations

from open_interpreter.apps.assistant import tables  # noqa: F401  (declares them)

from ...fixtures.migrations import assert_migration_creates

ASSISTANT_TABLES = {"assistant_knowledge_bases", "assistant_entries", "assistant_handoffs"}


def test_migration_0005_matches_the_tables_and_downgrades(tmp_path):
    assert_migration_creates(
        tmp_path, "0005", "0004", ASSISTANT_TABLES, added_later={("assistant_handoffs", "delivery")}
    )
