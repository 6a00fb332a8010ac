"""``oi runs``: every fine-tune run, from the server (jobs), the CLI (``oi train``) and
Python (``OpenInterpreter.fine_tune``), as recorded in the database the server and the
dashboard use (``OI_DATABASE_URL``, else SQLite under $OI_HOME).

Example:
    $ oi runs list
    $ oi runs show ft_3f9a1c0b7e2d4a61
"""

from __future__ import annotations

from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._options import database_url_option


@click.group(name="runs")
def runs() -> None:
    """List and show fine-tune runs: server jobs, `oi train` and Python fine-tunes.

    \b
    oi runs list
    oi runs list --source cli --json
    oi runs show ft_3f9a1c0b7e2d4a61
    Turn recording off with OI_RECORD_RUNS=0.
    """


def _row(run: Any) -> dict[str, Any]:
    progress = run.progress or {}
    return {
        "id": run.id,
        "source": run.source,
        "status": run.status,
        "name": run.model_name,
        "base_model": (run.config or {}).get("model"),
        "step": progress.get("step"),
        "total_steps": progress.get("total_steps"),
        "loss": progress.get("loss"),
        "best_metric": progress.get("best_metric"),
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "error": run.error,
    }


def _best(row: dict[str, Any]) -> str:
    best = row["best_metric"]
    if isinstance(best, dict) and isinstance(best.get("value"), int | float):
        return f"{best.get('name', '')} {best['value']:.4f}".strip()
    return "-"


@runs.command(name="list")
@click.option(
    "--source", type=click.Choice(["server", "cli", "python"]), help="Only runs from here."
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@database_url_option
@handle_errors
def list_command(source: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """List runs, newest first: id, source, status, name, base model, steps, best metric."""
    from open_interpreter.services.runs import list_runs
    from open_interpreter.storage import Database

    rows = [_row(run) for run in list_runs(Database(database_url), source=source, limit=limit)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No runs yet: `oi train CONFIG.yaml` records one (so do Python fine-tunes).")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("Id", "Source", "Status", "Name", "Base model", "Steps", "Best", "Created")
    table.columns[0].no_wrap = True
    for row in rows:
        steps = f"{row['step'] or 0}/{row['total_steps']}" if row["total_steps"] else "-"
        created = row["created_at"].strftime("%Y-%m-%d %H:%M") if row["created_at"] else "-"
        table.add_row(
            row["id"],
            row["source"],
            row["status"],
            row["name"],
            str(row["base_model"] or "-"),
            steps,
            _best(row),
            created,
        )
    Console(width=140).print(table)


@runs.command()
@click.argument("run_id")
@json_option
@database_url_option
@handle_errors
def show(run_id: str, as_json: bool, database_url: str | None) -> None:
    """Show run RUN_ID: its settings, loss curve, evaluations and final reports."""
    from open_interpreter.services.runs import get_run
    from open_interpreter.storage import Database

    run, events = get_run(Database(database_url), run_id)
    row = _row(run)
    steps = [e.data for e in events if e.type == "step"]
    evaluations = [e.data for e in events if e.type == "evaluation"]
    result = (run.progress or {}).get("result") or {}
    if as_json:
        echo_json(
            {
                **row,
                "config": run.config,
                "output_dir": (run.progress or {}).get("output_dir"),
                "curve": [{"step": s.get("step"), "loss": s.get("loss")} for s in steps],
                "evaluations": evaluations,
                "result": result,
            }
        )
        return
    click.echo(f"{run.id}  {run.source} run of {run.model_name}: {run.status}")
    click.echo(f"base model: {row['base_model']}")
    if run.error:
        click.echo(f"error: {run.error}")
    if output := (run.progress or {}).get("output_dir"):
        click.echo(f"saved to: {output}")
    settings = ", ".join(
        f"{k}={v}" for k, v in sorted((run.config or {}).items()) if not isinstance(v, dict)
    )
    click.echo(f"settings: {settings}")
    if steps:
        shown = steps if len(steps) <= 10 else steps[:: max(1, len(steps) // 10)] + steps[-1:]
        curve = ", ".join(
            f"{s.get('step')}: {s['loss']:.4f}"
            for s in shown
            if isinstance(s.get("loss"), int | float)
        )
        click.echo(f"loss by step: {curve}")
    for evaluation in evaluations:
        metrics = ", ".join(
            f"{k} {v:.4f}"
            for k, v in (evaluation.get("metrics") or {}).items()
            if isinstance(v, int | float)
        )
        click.echo(f"epoch {evaluation.get('epoch')}: {metrics}")
    for name, report in (result.get("reports") or {}).items():
        click.echo(f"\n{name}:\n{report.get('text', '')}")
