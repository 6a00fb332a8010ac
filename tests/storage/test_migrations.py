"""The Alembic migrations on an empty database (SQLite and PostgreSQL): 0003 and 0004 up
and down."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from open_interpreter.storage.db import MIGRATIONS


def test_migration_0003_adds_and_removes_the_prompt_table(empty_url):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", empty_url.replace("%", "%%"))
    engine = create_engine(empty_url)

    def tables() -> set[str]:
        return set(inspect(engine).get_table_names())

    try:
        command.upgrade(config, "0002")
        assert "model_versions" in tables() and "prompt_versions" not in tables()
        command.upgrade(config, "head")
        assert "prompt_versions" in tables()
        unique = inspect(engine).get_unique_constraints("prompt_versions")
        assert [sorted(c["column_names"]) for c in unique] == [["name", "version"]]
        command.downgrade(config, "0002")
        assert "prompt_versions" not in tables() and "model_versions" in tables()
        command.upgrade(config, "head")
        assert "prompt_versions" in tables()
    finally:
        engine.dispose()


def test_migration_0004_adds_owners_and_the_audit_log_keeping_rows(empty_url):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", empty_url.replace("%", "%%"))
    engine = create_engine(empty_url)
    owned = ("datasets", "fine_tune_jobs", "evaluations")

    def columns(table: str) -> set[str]:
        return {column["name"] for column in inspect(engine).get_columns(table)}

    try:
        command.upgrade(config, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO datasets (id, name, format, shape, num_examples, labels, sha256,"
                    " size_bytes, path, preview, created_at) VALUES ('ds_old', 'old', 'conll',"
                    " 'tokens', 1, '[]', 'x', 1, 'datasets/ds_old.conll', '[]',"
                    " '2026-01-01 00:00:00')"
                )
            )
        command.upgrade(config, "0004")
        assert all("owner_key_id" in columns(table) for table in owned)
        assert {"actor", "action", "target", "detail", "client_address"} <= columns("audit_events")
        for table in owned:
            (foreign,) = [
                key
                for key in inspect(engine).get_foreign_keys(table)
                if key["constrained_columns"] == ["owner_key_id"]
            ]
            assert foreign["referred_table"] == "api_keys"
        with engine.connect() as connection:
            row = connection.execute(text("SELECT name, owner_key_id FROM datasets")).one()
        assert tuple(row) == ("old", None)  # made before owners: an admin's to see
        command.downgrade(config, "0003")
        assert "audit_events" not in inspect(engine).get_table_names()
        assert all("owner_key_id" not in columns(table) for table in owned)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM datasets")).scalar() == 1
        command.upgrade(config, "head")
        assert "audit_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migration_0007_creates_the_study_tables_as_declared(tmp_path):
    from open_interpreter.services import study_tables  # noqa: F401  (declares them)

    from ..fixtures.migrations import assert_migration_creates

    assert_migration_creates(tmp_path, "0007", "0006", {"tuning_studies", "tuning_trials"})
