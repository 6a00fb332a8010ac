"""Migration 0006 creates exactly the monitor's tables as ``tables.py`` declares them, and
takes them away again."""

from __future__ import annotations

from open_interpreter.apps.monitor import tables  # noqa: F401  (declares them)

from ...fixtures.migrations import assert_migration_creates

MONITOR_TABLES = {
    "monitors",
    "monitor_documents",
    "monitor_mentions",
    "monitor_series",
    "monitor_alerts",
}


def test_migration_0006_matches_the_tables_and_downgrades(tmp_path):
    assert_migration_creates(tmp_path, "0006", "0005", MONITOR_TABLES)
