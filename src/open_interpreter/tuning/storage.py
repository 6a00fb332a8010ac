"""Where studies are kept: Optuna's RDB storage, beside the platform's database.

Optuna creates and migrates its own tables (``studies``, ``trials``... and an
``alembic_version`` table of its own), which would collide with the platform's
Alembic-managed tables of the same names. So studies never share the platform's tables:

- on SQLite (one machine, the default) they live in their own file,
  ``$OI_HOME/studies.db``, beside ``oi.db``;
- on PostgreSQL (``OI_DATABASE_URL``) they live in the same database, in a schema of
  their own, ``optuna``, created on first use — so parallel workers share them;
- ``OI_STUDIES_DATABASE_URL`` overrides both.

SQLite takes one writer at a time: parallel trials on it would fail with "database is
locked", so :func:`check_parallel` refuses them before anything trains.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from open_interpreter.errors import ConfigError
from open_interpreter.paths import oi_home

STUDIES_URL_VARIABLE = "OI_STUDIES_DATABASE_URL"
#: The PostgreSQL schema that holds Optuna's tables inside the platform's database.
POSTGRES_SCHEMA = "optuna"


def studies_url() -> str:
    """The database URL studies are stored in (see the module's docstring)."""
    explicit = os.environ.get(STUDIES_URL_VARIABLE)
    if explicit:
        return explicit
    platform = os.environ.get("OI_DATABASE_URL")
    if platform and _is_postgres(platform):
        return platform
    home = oi_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'studies.db'}"


def open_storage(url: str | None = None) -> Any:
    """Optuna's ``RDBStorage`` on ``url`` (default :func:`studies_url`); on PostgreSQL its
    tables go into the ``optuna`` schema, created if missing."""
    import optuna

    url = url or studies_url()
    engine_kwargs: dict[str, Any] = {}
    if _is_postgres(url):
        _create_schema(url)
        engine_kwargs = {
            "pool_pre_ping": True,
            "connect_args": {"options": f"-csearch_path={POSTGRES_SCHEMA}"},
        }
    else:
        engine_kwargs = {"connect_args": {"timeout": 30}}
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)


def has_studies(url: str) -> bool:
    """Whether there can be studies at ``url``: a SQLite file that exists, or a server
    (listing never creates a database just to look)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    return bool(parsed.database) and Path(parsed.database).is_file()


def check_parallel(url: str, n_jobs: int) -> None:
    """Refuse parallel trials on SQLite.

    Raises:
        ConfigError: ``n_jobs`` above 1 with a SQLite URL.
    """
    if n_jobs > 1 and not _is_postgres(url):
        raise ConfigError(
            f"n_jobs={n_jobs} runs trials in parallel, which needs PostgreSQL: SQLite "
            "takes one writer at a time and parallel trials would fail with 'database is "
            "locked'. Set OI_DATABASE_URL (or OI_STUDIES_DATABASE_URL) to a PostgreSQL "
            "URL, or run with n_jobs=1"
        )


def shown_url(url: str) -> str:
    """``url`` with any password hidden, for messages and stored records."""
    return make_url(url).render_as_string(hide_password=True)


def _is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _create_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}"))
    finally:
        engine.dispose()
