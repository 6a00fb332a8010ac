"""Migration 0005 creates exactly the assistant's tables as ``tables.py`` declares them, and
takes them away again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect

from open_interpreter.apps.assistant import tables
from open_interpreter.storage.db import MIGRATIONS

ASSISTANT_TABLES = {"assistant_knowledge_bases", "assistant_entries", "assistant_handoffs"}


def test_migration_0005_matches_the_tables_and_downgrades(tmp_path):
    url = f"sqlite:///{tmp_path / 'oi.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "0005")
        assert set(inspect(engine).get_table_names()) >= ASSISTANT_TABLES
        mine = MetaData()
        for table in tables.Base.metadata.tables.values():
            if table.name in ASSISTANT_TABLES:
                table.to_metadata(mine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = [
                d
                for d in compare_metadata(context, mine)
                if not (
                    d[0] == "remove_table"
                    or (d[0] == "remove_index" and d[1].table.name not in ASSISTANT_TABLES)
                )
            ]
        assert differences == []
        command.downgrade(config, "0004")
        assert not ASSISTANT_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
