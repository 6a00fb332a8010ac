"""``oi db status|upgrade`` and migrating from several processes at once."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from open_interpreter.cli import main
from open_interpreter.storage.db import code_revision, schema_revisions


def test_status_says_what_is_pending_and_upgrade_applies_it(empty_url):
    runner = CliRunner()
    pending = runner.invoke(main, ["db", "status", "--database-url", empty_url])
    assert pending.exit_code == 1
    assert "none (empty database)" in pending.output and "oi db upgrade" in pending.output

    migrated = runner.invoke(main, ["db", "upgrade", "--database-url", empty_url])
    assert migrated.exit_code == 0, migrated.output
    assert f"→ {code_revision()}" in migrated.output
    assert schema_revisions(empty_url) == (code_revision(), code_revision())

    again = runner.invoke(main, ["db", "upgrade", "--database-url", empty_url])
    assert again.exit_code == 0 and "already at" in again.output
    current = runner.invoke(main, ["db", "status", "--database-url", empty_url])
    assert current.exit_code == 0 and "up to date" in current.output


def test_an_unreachable_database_is_one_line_without_the_password():
    url = "postgresql+psycopg://oi:secret@127.0.0.1:9/oi"
    result = CliRunner().invoke(main, ["db", "status", "--database-url", url])
    assert result.exit_code == 1
    assert "cannot reach the database at postgresql+psycopg://oi:***@127.0.0.1:9/oi" in (
        result.output
    )
    assert "secret" not in result.output and "Traceback" not in result.output


def test_processes_starting_together_migrate_one_after_the_other(empty_url):
    """Replicas and workers started at once on an empty database: every one succeeds (on
    PostgreSQL they take turns under an advisory lock) and the schema is whole."""
    command = [sys.executable, "-m", "open_interpreter.cli", "db", "upgrade"]
    processes = [
        subprocess.Popen(
            [*command, "--database-url", empty_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert schema_revisions(empty_url) == (code_revision(), code_revision())
    engine = create_engine(empty_url)
    try:
        assert {"api_keys", "model_versions", "audit_events"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_a_newer_releases_database_is_named_not_a_traceback(empty_url, monkeypatch):
    """A database a newer release migrated: `oi db status` says so (not "run `oi db
    upgrade`"), `oi db upgrade` leaves it alone, and other commands keep working on it
    with a warning, never Alembic's "Can't locate revision"."""
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade", "--database-url", empty_url]).exit_code == 0
    engine = create_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    finally:
        engine.dispose()

    status = runner.invoke(main, ["db", "status", "--database-url", empty_url])
    assert status.exit_code == 1
    assert "f00dcafe is newer than this release" in status.output
    assert "pip install -U open-interpreter-nlp" in status.output
    assert "run `oi db upgrade`" not in status.output

    upgrade = runner.invoke(main, ["db", "upgrade", "--database-url", empty_url])
    assert upgrade.exit_code == 0 and "nothing to do" in upgrade.output
    assert schema_revisions(empty_url) == ("f00dcafe", code_revision())

    monkeypatch.setenv("OI_DATABASE_URL", empty_url)
    keys = runner.invoke(main, ["keys", "list"])
    assert keys.exit_code == 0, keys.output
    assert "Traceback" not in keys.output and "Can't locate" not in keys.output
