"""``oi tune CONFIG.yaml`` runs a hyperparameter study; ``oi studies`` lists and shows them.

The YAML is an ``oi train`` file with a ``search:`` section (see docs/hpo.md); study
settings may also be overridden bare on the command line (``n_trials=8``).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option

storage_option = click.option(
    "--storage",
    default=None,
    help="Database URL of the studies (default: OI_STUDIES_DATABASE_URL, the "
    "PostgreSQL OI_DATABASE_URL, else $OI_HOME/studies.db).",
)


@click.command()
@click.argument("config_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("overrides", nargs=-1)
@storage_option
@click.option(
    "--no-live",
    is_flag=True,
    help="One line per finished trial instead of a live table (the default when stdout "
    "is not a terminal).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Run n_trials more trials in the stored study name=NAME (same space, metric and "
    "direction) instead of refusing a name in use.",
)
@handle_errors
def tune(
    config_file: Path, overrides: tuple[str, ...], storage: str | None, no_live: bool, resume: bool
) -> None:
    """Search fine-tuning settings as CONFIG_FILE's search: section says.

    \b
    oi tune examples/wnut16_tune.yaml
    oi tune examples/wnut16_tune.yaml n_trials=4 pruner=median data.limit=500
    oi tune examples/wnut16_tune.yaml name=wnut16_tune-20261206-174501 n_trials=4 --resume

    KEY=VALUE pairs override the run's settings (epochs=2) or the study's
    (n_trials=8, pruner=median, name=first). --resume continues the study NAME with
    n_trials more trials. A live table shows the trials as they
    report (one line per finished trial when stdout is not a terminal, or with --no-live);
    the best model is saved to output_dir (default: the model store, named after the file).
    """
    from open_interpreter.cli.sources import read_source
    from open_interpreter.cli.tune_live import TrialsView, live_wanted
    from open_interpreter.interpreter import OpenInterpreter
    from open_interpreter.paths import model_store
    from open_interpreter.tuning import load_study_config

    config, search = load_study_config(config_file, list(overrides) + ["resume=true"] * resume)
    if search.name is None:
        search = search.model_copy(
            update={"name": f"{config_file.stem}-{datetime.now():%Y%m%d-%H%M%S}"}
        )
    if config.output_dir is None:
        config = config.updated(output_dir=str(model_store() / config_file.stem))
    data = config.data
    if data.train is None:
        raise click.UsageError(f"{config_file}: set data.train (a file, or package:NAME)")
    columns = {
        "format": data.format,
        "text_column": data.text_column,
        "label_column": data.label_column,
        "text_pair_column": data.text_pair_column,
    }
    here = config_file.parent
    view = TrialsView(
        search.n_trials, metric=search.metric, live=live_wanted(no_live), title=search.name
    )
    with view:
        result = OpenInterpreter(config.model).tune(
            train_data=read_source(data.train, here, **columns),
            validation_data=read_source(data.validation, here, **columns),
            search_space=search.space,
            config=config,
            on_update=view.update,
            storage=storage,
            **search.model_dump(exclude={"space"}),
        )
    click.echo(result.to_markdown())
    saved = result.info.get("best_model_trial", result.best_trial)
    click.echo(f"\nBest model (trial {saved}) saved to {config.output_dir}")


@click.group(name="studies")
def studies() -> None:
    """List and inspect hyperparameter studies (oi tune)."""


@studies.command(name="list")
@storage_option
@json_option
@handle_errors
def list_command(storage: str | None, as_json: bool) -> None:
    """List the stored studies: name, metric, trials, best score, start."""
    from rich.console import Console
    from rich.table import Table

    from open_interpreter.tuning import list_studies

    rows = list_studies(storage)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No studies yet: run `oi tune CONFIG.yaml`.")
        return
    table = Table("Name", "Metric", "Trials", "Best", "Started", title="Studies")
    table.columns[0].no_wrap = True
    for row in rows:
        best = f"{row['best_value']:.4f}" if row["best_value"] is not None else "-"
        table.add_row(row["name"], row["metric"] or "-", str(row["trials"]), best, row["started"])
    Console(width=120).print(table)


@studies.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the study as JSON.")
@click.option(
    "--watch",
    is_flag=True,
    help="Follow the study as its workers run it: redraw its trials until it ends (Ctrl-C "
    "stops watching; the study goes on).",
)
@click.option(
    "--every",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="With --watch: seconds between reads of the study.",
)
@click.option(
    "--no-live",
    is_flag=True,
    help="With --watch: one line per finished trial instead of a live table.",
)
@storage_option
@handle_errors
def show(
    name: str, as_json: bool, watch: bool, every: float, no_live: bool, storage: str | None
) -> None:
    """Show study NAME: its trials, the best settings and which settings mattered.

    \b
    oi studies show conll2003_tune-20261207-031500
    oi studies show st_... --watch --every 2      # a study the job workers run
    """
    from open_interpreter.tuning import load_study

    if watch:
        if as_json:
            raise click.UsageError("--watch draws the trials as they come; drop --json")
        if not _watch(name, storage, every, no_live):
            return
    result = load_study(name, storage)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    click.echo(result.to_markdown())
    if result.best_params:
        click.echo(f"\nBest settings: {json.dumps(result.best_params)}")
    if "best_model_dir" in result.info:
        click.echo(f"Best model: {result.info['best_model_dir']}")


def _watch(name: str, storage: str | None, every: float, no_live: bool) -> bool:
    """Redraw study NAME's trials every ``every`` seconds until it ends; False when the
    user stopped watching (Ctrl-C) before it did."""
    from open_interpreter.cli.tune_live import TrialsView, live_wanted
    from open_interpreter.tuning import follow_study

    view = TrialsView(None, live=live_wanted(no_live), title=name)
    try:
        with view:
            for result in follow_study(name, storage, every=every, ended=_job_study_ended):
                view.show_study(result)
    except KeyboardInterrupt:
        click.echo(f"Stopped watching; study {name} goes on.")
        return False
    return True


def _job_study_ended(result: Any) -> bool:
    """Whether a study run as jobs (``POST /v1/studies``) has ended in the platform's
    database, when that database is the one this command sees (cancelled studies end
    short of their trials)."""
    study_id = result.info.get("platform_study")
    if not study_id:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    from open_interpreter.errors import OpenInterpreterError
    from open_interpreter.services.studies import get_study
    from open_interpreter.storage import Database, has_database

    if not has_database():
        return False
    db = Database()
    try:
        with db.session() as session:
            return get_study(session, study_id).status != "running"
    except (OpenInterpreterError, SQLAlchemyError):  # not the database that runs it
        return False
    finally:
        db.dispose()
