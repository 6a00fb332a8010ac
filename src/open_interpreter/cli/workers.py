"""``oi workers``: the workers sharing the database (``OI_DATABASE_URL``, else SQLite under
$OI_HOME), what each can run and what it does now.

Example:
    $ oi workers list
    $ oi workers list --state lost --json
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._options import database_url_option

STATES = ("running", "idle", "lost", "stopped")  # services.workers.STATES, without importing it


@click.group(name="workers")
def workers() -> None:
    """The workers running queued jobs (`oi worker`, or inside `oi serve --workers N`).

    \b
    oi workers list
    oi workers list --state lost --json
    A worker not seen for its lease timeout (oi worker --stale-after) reads as lost.
    """


def _row(view: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "host": view.host,
        "pid": view.pid,
        "state": view.state,
        "job_id": view.job_id,
        **view.capacity,
        "started_at": view.started_at,
        "last_seen": view.last_seen,
        "stopped_at": view.stopped_at,
        "lease_timeout_s": view.lease_timeout_s,
    }


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


@workers.command(name="list")
@click.option("--state", type=click.Choice(STATES), help="Only workers in this state.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@database_url_option
@handle_errors
def list_command(state: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """List workers: running, idle, lost, then stopped (newest first within each), with
    their host, pid, processes, GPUs, memory, the job each runs and when it was last seen."""
    from open_interpreter.services.workers import list_workers
    from open_interpreter.storage import Database
    from open_interpreter.storage.tables import utcnow

    database = Database(database_url)
    try:
        with database.session() as session:
            views, total = list_workers(session, state=state, limit=limit)
    finally:
        database.dispose()
    rows = [_row(view) for view in views]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No workers" + (f" {state}" if state else "") + ": start one with `oi worker`.")
        return
    from rich.console import Console
    from rich.table import Table

    now = utcnow()
    table = Table("Id", "State", "Job", "Host", "Pid", "Processes", "GPUs", "Memory", "Last seen")
    table.columns[0].no_wrap = True
    for row in rows:
        memory = f"{row['memory_mb'] / 1024:.0f} GB" if row["memory_mb"] else "-"
        table.add_row(
            row["id"],
            row["state"],
            row["job_id"] or "-",
            row["host"],
            str(row["pid"]),
            str(row["processes"]),
            str(row["gpus"]),
            memory,
            _ago(row["last_seen"], now),
        )
    Console(width=140).print(table)
    if total > len(rows):
        click.echo(f"{len(rows)} of {total} workers shown (--limit).")
