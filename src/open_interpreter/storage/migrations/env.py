"""Alembic environment: migrations run against the URL set by ``storage.db.upgrade``.

On PostgreSQL the migrations run under a session advisory lock, so API replicas and
workers that start at the same time migrate one after the other: the first applies what
is missing, the others then find the schema at head and apply nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from open_interpreter.storage.tables import Base

target_metadata = Base.metadata

# pg_advisory_lock's key: any bigint the platform uses for nothing else ("oi-migr").
MIGRATION_LOCK = 0x6F692D6D69677220


def run_migrations() -> None:
    """Run migrations online against the configured URL."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        if postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


run_migrations()
