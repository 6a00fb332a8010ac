"""``oi continue NAME NEW_DATA``: a model keeps learning; ``oi models report NAME
--continual``: what it kept and what it forgot; ``oi models feedback NAME``: what clients
sent back (see docs/continual.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli.sources import data_file_options
from open_interpreter.continual.settings import STRATEGIES


@click.command(name="continue")
@click.argument("name")
@click.argument("data")
@click.argument("overrides", nargs=-1)
@click.option(
    "--strategy",
    type=click.Choice(list(STRATEGIES)),
    default="replay",
    show_default=True,
    help="How to keep what the model knew (lora-per-version: a new LoRA adapter per data "
    "version over the frozen base, for a model trained with peft=lora).",
)
@click.option("--validation", help="This step's evaluation set (default: 20% of DATA, seeded).")
@click.option("--previous-data", help="The model's own training data, if it has no record yet.")
@click.option(
    "--label-map", multiple=True, metavar="NEW=OLD", help="Read label NEW as the model's OLD."
)
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Save here.")
@click.option("--task-name", help="This step's task in the report (default: task-N).")
@click.option("--margin", default=0.01, show_default=True, help="Gate: allowed drop per task.")
@click.option("--register/--no-register", default=True, help="Register NAME's new version.")
@data_file_options
@handle_errors
def continue_command(
    name: str,
    data: str,
    overrides: tuple[str, ...],
    strategy: str,
    validation: str | None,
    previous_data: str | None,
    label_map: tuple[str, ...],
    output: Path | None,
    task_name: str | None,
    margin: float,
    register: bool,
    fmt: str,
    text_column: str,
    label_column: str,
) -> None:
    """Train model NAME further on DATA without forgetting what it knew.

    \b
    oi continue ner wnut.conll --strategy replay
    oi continue topics new.csv --strategy ewc ewc_lambda=5000 epochs=2

    KEY=VALUE pairs set continual settings (replay_size, ewc_lambda, l2sp_alpha...)
    and fine-tuning settings (epochs, learning_rate...). A registered NAME gets the
    new version, promoted only if it passes the gate (no earlier task worse than the
    production version by more than --margin, the new task better).
    """
    from open_interpreter.cli._open import open_named, split_reference
    from open_interpreter.cli.sources import read_source
    from open_interpreter.config import apply_override
    from open_interpreter.continual import continue_training

    columns = {"format": fmt, "text_column": text_column, "label_column": label_column}
    options: dict[str, Any] = {}
    for item in overrides:
        apply_override(options, item)
    options["label_map"] = _pairs(label_map)
    interpreter = open_named(name)
    base = split_reference(name)[0]
    output = output or _free_dir(Path(base).name)
    step = continue_training(
        interpreter.bundle,
        read_source(data, **columns),
        validation_data=read_source(validation, **columns),
        previous_data=read_source(previous_data, **columns),
        strategy=strategy,
        task_name=task_name,
        output_dir=output,
        **options,
    )
    click.echo(f"saved the continued model to {step.path} ({step.seconds:.1f} s)")
    if step.added_labels and len(step.report.tasks) > 1:
        click.echo(f"new labels: {', '.join(step.added_labels)}")
    click.echo(step.report.to_markdown())
    if register and _registered(base):
        _register(base, step.path, margin)


@click.command(name="report")
@click.argument("name")
@click.option("--continual", is_flag=True, help="The continual report (score matrix, forgetting).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of Markdown.")
@handle_errors
def models_report(name: str, continual: bool, as_json: bool) -> None:
    """Report on model NAME: with --continual, its score on every task after every step,
    backward transfer and forgetting, and the promotion gate's decision."""
    from open_interpreter.continual import ContinualState, report_of
    from open_interpreter.errors import ModelStateError

    if not continual:
        raise click.UsageError("say which report: --continual")
    path, gate = _located(name)
    state = ContinualState.load(path)
    if state is None:
        raise ModelStateError(f"{name} has no continual record: it was not made by oi continue")
    report = report_of(state, name=name)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "gate": gate}, indent=2))
        return
    click.echo(report.to_markdown())
    if gate is not None:
        verdict = "promoted" if gate["promoted"] else "not promoted (a challenger)"
        click.echo(f"Gate: {verdict}, margin {gate['margin']:g}")
        for reason in gate["reasons"]:
            click.echo(f"- {reason}")


@click.command(name="feedback")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def models_feedback(name: str, as_json: bool) -> None:
    """How much feedback the registered model NAME has had from clients: in all, per
    version and per label, how much no continue job has taken yet, and its retraining
    policy (see docs/continual.md)."""
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services import registry
    from open_interpreter.services.continual_feedback import feedback_counts
    from open_interpreter.services.continual_policy import get_policy, policy_public
    from open_interpreter.storage import Database

    db = Database()
    try:
        with db.session() as session:
            registry.get_model(session, name)  # NotFoundError when not registered
            counts = feedback_counts(session, name)
            try:
                counts["policy"] = policy_public(get_policy(session, name))
            except NotFoundError:
                counts["policy"] = None
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    click.echo(f"{name}: {counts['total']} feedback rows, {counts['new']} not yet trained on")
    for version, count in counts["per_version"].items():
        click.echo(f"  version {version}: {count}")
    for label, count in counts["per_label"].items():
        click.echo(f"  {label}: {count}")
    policy = counts["policy"]
    if policy is None:
        click.echo("no retraining policy")
    else:
        when = [f"after {policy['after_feedback']} new rows"] if policy["after_feedback"] else []
        when += (
            [f"on drift (with {policy['min_feedback']}+ new rows)"] if policy["on_drift"] else []
        )
        click.echo(
            f"policy: {policy['strategy']}, margin {policy['margin']}, {' or '.join(when)}; "
            f"last job {policy['pending_job_id'] or '-'}"
        )


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        new, sep, old = item.partition("=")
        if not sep or not new or not old:
            raise click.BadParameter(f"expected NEW=OLD, got {item!r}", param_hint="--label-map")
        pairs[new] = old
    return pairs


def _free_dir(name: str) -> Path:
    """``<model store>/<name>-continued`` (``-2``, ``-3``... when taken)."""
    from open_interpreter.paths import model_store

    stem = model_store() / f"{name}-continued"
    path, n = stem, 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}")
    return path


def _registered(name: str) -> bool:
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services import registry
    from open_interpreter.storage import Database, has_database

    if not has_database():
        return False
    db = Database()
    try:
        with db.session() as session:
            registry.get_model(session, name)
        return True
    except NotFoundError:
        return False
    finally:
        db.dispose()


def _register(name: str, path: Path | None, margin: float) -> None:
    from open_interpreter.services.callers import CLI
    from open_interpreter.services.continual import register_continued
    from open_interpreter.storage import Database

    db = Database()
    try:
        with db.session() as session:
            row, decision = register_continued(
                session, model_name=name, path=path, margin=margin, caller=CLI
            )
            click.echo(
                f"registered {name} version {row.version}: "
                + ("promoted to production" if decision.promoted else "NOT promoted (challenger)")
            )
            for reason in decision.reasons:
                click.echo(f"- {reason}")
    finally:
        db.dispose()


def _located(reference: str) -> tuple[Path, dict[str, Any] | None]:
    """The directory of the model ``reference`` names, and its gate decision if registered."""
    from open_interpreter.cli._open import split_reference
    from open_interpreter.services import registry
    from open_interpreter.services.models import find_model
    from open_interpreter.storage import Database, has_database

    name, version, stage = split_reference(reference)
    if not has_database():
        return find_model(name, version=version, stage=stage).path, None
    db = Database()
    try:
        with db.session() as session:
            source = find_model(name, version=version, stage=stage, session=session)
            gate = None
            if source.version is not None:
                row = registry.get_version(session, name, version=source.version)
                gate = (row.lineage or {}).get("continual", {}).get("gate")
            return source.path, gate
    finally:
        db.dispose()
