"""Migration 0013 creates the feedback, drift-event and retraining-policy tables exactly
as ``services/continual_tables.py`` declares them, and its downgrade removes them."""

from __future__ import annotations


def test_migration_0013_creates_the_continual_tables_as_declared(tmp_path):
    from open_interpreter.services import continual_tables  # noqa: F401  (declares them)

    from ..fixtures.migrations import assert_migration_creates

    tables = {"feedback", "drift_events", "retraining_policies"}
    assert_migration_creates(tmp_path, "0013", "0012", tables)


def test_migration_0016_creates_the_drift_window_table_as_declared(tmp_path):
    from open_interpreter.services import continual_tables  # noqa: F401  (declares it)

    from ..fixtures.migrations import assert_migration_creates

    assert_migration_creates(tmp_path, "0016", "0015", {"drift_windows"})
