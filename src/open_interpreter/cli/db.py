"""``oi db``: the database's schema, for deployments that migrate as a release step.

``oi serve`` and ``oi worker`` migrate on start too (several processes take turns on
PostgreSQL), so these commands are for the runbook: check before an upgrade, migrate
once, then start the new version (see docs/deployment.md).
"""

from __future__ import annotations

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._options import database_url_option
from open_interpreter.errors import DatabaseUnreachableError


def _url(database_url: str | None) -> str:
    from open_interpreter.storage import database_url as default_url

    return database_url or default_url()


def _reachable(url: str, action):
    from sqlalchemy import make_url
    from sqlalchemy.exc import OperationalError

    try:
        return action()
    except OperationalError as error:
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        raise DatabaseUnreachableError(f"cannot reach the database at {where}: {reason}") from None


@click.group()
def db() -> None:
    """The database schema: see where it stands, and migrate it.

    \b
    oi db status                       # exit status 1 when migrations are pending
    OI_DATABASE_URL=postgresql+psycopg://oi@db/oi oi db upgrade
    """


@db.command()
@database_url_option
@handle_errors
def status(database_url: str | None) -> None:
    """Print the applied schema revision and the code's; exit 1 when they differ (migrations
    pending, or a newer release's database)."""
    from open_interpreter.storage.db import is_ahead, newer_database_message, schema_revisions

    url = _url(database_url)
    current, head = _reachable(url, lambda: schema_revisions(url))
    click.echo(f"database revision: {current or 'none (empty database)'}")
    click.echo(f"code revision:     {head}")
    if is_ahead(current):
        click.echo(newer_database_message(current), err=True)
        raise SystemExit(1)
    if current != head:
        click.echo("migrations pending: run `oi db upgrade`", err=True)
        raise SystemExit(1)
    click.echo("up to date")


@db.command()
@database_url_option
@handle_errors
def upgrade(database_url: str | None) -> None:
    """Apply every pending migration (safe beside running processes on PostgreSQL)."""
    from open_interpreter.storage.db import is_ahead, newer_database_message, schema_revisions
    from open_interpreter.storage.db import upgrade as run_upgrade

    url = _url(database_url)
    before, head = _reachable(url, lambda: schema_revisions(url))
    if is_ahead(before):
        click.echo(f"nothing to do: {newer_database_message(before)}", err=True)
        return
    _reachable(url, lambda: run_upgrade(url))
    if before == head:
        click.echo(f"already at {head}")
    else:
        click.echo(f"migrated {before or 'an empty database'} → {head}")
