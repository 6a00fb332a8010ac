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
@handle_errors
def tune(config_file: Path, overrides: tuple[str, ...], storage: str | None) -> None:
    """Search fine-tuning settings as CONFIG_FILE's search: section says.

    \b
    oi tune examples/wnut16_tune.yaml
    oi tune examples/wnut16_tune.yaml n_trials=4 pruner=median data.limit=500

    KEY=VALUE pairs override the run's settings (epochs=2) or the study's
    (n_trials=8, pruner=median, search.name=first). A live table shows the trials; the best
    model is saved to output_dir (default: the model store, named after the file).
    """
    from open_interpreter.cli.sources import read_source
    from open_interpreter.interpreter import OpenInterpreter
    from open_interpreter.paths import model_store
    from open_interpreter.tuning import load_study_config

    config, search = load_study_config(config_file, list(overrides))
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
    with LiveTrials(search.n_trials) as live:
        result = OpenInterpreter(config.model).tune(
            train_data=read_source(data.train, here, **columns),
            validation_data=read_source(data.validation, here, **columns),
            search_space=search.space,
            config=config,
            on_update=live.update,
            storage=storage,
            **search.model_dump(exclude={"space"}),
        )
    click.echo(result.to_markdown())
    click.echo(f"\nBest model (trial {result.best_trial}) saved to {config.output_dir}")


class LiveTrials:
    """A table of the trials, redrawn in the terminal as they report."""

    def __init__(self, n_trials: int):
        from rich.console import Console
        from rich.live import Live

        self.n_trials = n_trials
        self.live = Live(self._table([]), console=Console(stderr=True), auto_refresh=False)

    def __enter__(self) -> LiveTrials:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live.is_started:
            self.live.stop()

    def update(self, trials: list[Any]) -> None:
        """Redraw with ``trials`` (a list of :class:`~open_interpreter.tuning.TrialRecord`);
        the table appears with the first epoch, so an error before training stands alone."""
        if not self.live.is_started:
            self.live.start()
        self.live.update(self._table(trials), refresh=True)

    def _table(self, trials: list[Any]) -> Any:
        from rich.table import Table

        from open_interpreter.tuning.result import format_params

        table = Table("Trial", "State", "Score", "Epochs", "Settings")
        table.title = f"Trials ({len(trials)} of {self.n_trials})"
        for t in trials:
            state = f"pruned at epoch {t.pruned_at}" if t.pruned_at else t.state
            table.add_row(
                f"{t.number}{' (baseline)' if t.baseline else ''}",
                state,
                f"{t.value:.4f}" if t.value is not None else "-",
                f"{t.epochs_run}/{t.epochs_planned or '?'}",
                format_params(t.params),
            )
        return table


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
@storage_option
@handle_errors
def show(name: str, as_json: bool, storage: str | None) -> None:
    """Show study NAME: its trials, the best settings and which settings mattered."""
    from open_interpreter.tuning import load_study

    result = load_study(name, storage)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    click.echo(result.to_markdown())
    if result.best_params:
        click.echo(f"\nBest settings: {json.dumps(result.best_params)}")
    if "best_model_dir" in result.info:
        click.echo(f"Best model: {result.info['best_model_dir']}")
