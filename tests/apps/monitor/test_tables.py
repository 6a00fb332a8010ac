"""Migrations 0006 and 0010 create exactly the monitor's tables as ``tables.py`` declares
them (0010: the monitors' owner and the delivery queue), and take them away again."""

from __future__ import annotations

from open_interpreter.apps.monitor import tables  # noqa: F401  (declares them)

from ...fixtures.migrations import assert_migration_creates

MONITOR_TABLES = {
    "monitors",
    "monitor_documents",
    "monitor_mentions",
    "monitor_series",
    "monitor_alerts",
    "monitor_deliveries",
}


def test_migrations_0006_to_0010_match_the_tables_and_downgrade(tmp_path):
    assert_migration_creates(tmp_path, "0010", "0005", MONITOR_TABLES)
