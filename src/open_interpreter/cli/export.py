"""``oi export``: a fine-tuned model as an ONNX directory that predicts without torch."""

from __future__ import annotations

from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._open import open_named
from open_interpreter.cli.sources import FORMATS


@click.command()
@click.argument("model")
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write (new, empty, or an earlier export).",
)
@click.option(
    "--store",
    is_flag=True,
    help="Keep the export with the registered version instead (for oi serve --backend onnx).",
)
@click.option(
    "--queue",
    is_flag=True,
    help="With --store: queue the export as a job for a worker (oi worker, or oi serve) "
    "instead of exporting in this process; --data is stored as a dataset for its parity check.",
)
@click.option(
    "--format",
    "export_format",
    default="onnx",
    show_default=True,
    type=click.Choice(["onnx"]),
    help="Export format.",
)
@click.option(
    "--quantize",
    type=click.Choice(["int8"]),
    default=None,
    help="Quantise the weights (ONNX Runtime dynamic int8); fp32 without it.",
)
@click.option(
    "--data",
    default=None,
    help="Labelled data (a file or package:NAME) to check parity on; int8 must then stay "
    "within 1 point of the PyTorch accuracy (entity F1 for NER).",
)
@click.option(
    "--data-format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(FORMATS),
    help="File format of --data.",
)
@click.option("--text-column", default="text", show_default=True, help="Text column of --data.")
@click.option("--label-column", default="label", show_default=True, help="Label column of --data.")
@click.option(
    "--text",
    "texts",
    multiple=True,
    help="A text to check parity on (repeatable); a few built-in texts without --data.",
)
@json_option
@handle_errors
def export(
    model: str,
    output: Path | None,
    store: bool,
    queue: bool,
    export_format: str,
    quantize: str | None,
    data: str | None,
    fmt: str,
    text_column: str,
    label_column: str,
    texts: tuple[str, ...],
    as_json: bool,
) -> None:
    """Export fine-tuned MODEL (NAME, NAME@VERSION or NAME:STAGE) to ONNX.

    The export is written only if its fp32 logits match PyTorch's within 1e-4 on a
    sample; it predicts with onnxruntime and tokenizers only
    (OnnxModel.load(DIR).predict(texts)).

    \b
    oi export wnut16-ner --format onnx -o exports/wnut16-ner
    oi export wnut16-ner@2 --quantize int8 --data package:wnut16 -o exports/wnut16-ner-int8
    oi export wnut16-ner@2 --quantize int8 --data package:wnut16 --store
    oi export wnut16-ner@2 --quantize int8 --data dev.conll --store --queue   # a job
    """
    from open_interpreter.cli.sources import read_source

    if (output is None) == (not store):
        raise click.UsageError("give either -o DIR or --store (keep it with the version)")
    if queue:
        if not store:
            raise click.UsageError("--queue keeps the export with the version: add --store")
        if texts:
            raise click.UsageError("a queued export checks parity on --data or built-in texts")
        if (text_column, label_column) != ("text", "label"):
            raise click.UsageError("a queued export's --data has columns text and label")
        shown = _queue(model, quantize, data, fmt)
        if as_json:
            echo_json(shown)
            return
        click.echo(
            f"queued {shown['id']}: the {shown['precision']} ONNX export of "
            f"{shown['model_name']}@{shown['version']}, kept with the version when it passes "
            "the parity gate"
        )
        click.echo("run it:    oi worker   (or a server on this database: oi serve --workers 1)")
        click.echo(f"follow it: oi runs show {shown['id']}")
        return
    examples = read_source(data, format=fmt, text_column=text_column, label_column=label_column)
    if store:
        click.echo(_store(model, quantize, list(texts) or None, examples))
        return
    interpreter = open_named(model)
    report = interpreter.export(
        output,
        format=export_format,
        quantize=quantize,
        parity_texts=list(texts) or None,
        parity_data=examples,
    )
    click.echo(str(report))


def _queue(model: str, quantize: str | None, data: str | None, fmt: str) -> dict[str, object]:
    """Queue the export of a registered version as a job; what was queued.

    A ``--data`` file is checked and stored as a dataset first (the job's parity data);
    if queueing then fails, the dataset is removed again.
    """
    from open_interpreter.cli._open import split_reference
    from open_interpreter.errors import ConfigError
    from open_interpreter.services import datasets, registry
    from open_interpreter.services.callers import CLI
    from open_interpreter.services.export_jobs import queue_export
    from open_interpreter.storage import Database

    name, version, stage = split_reference(model)
    path = Path(data) if data else None
    if data and data.startswith("package:"):
        raise ConfigError(
            "a queued export takes --data as a file (it is stored as a dataset); "
            "export in this process for package data (drop --queue)"
        )
    if path is not None and not path.is_file():
        raise ConfigError(f"--data {data!r} is not a file")
    db = Database()
    try:
        with db.session() as session:
            number = registry.get_version(session, name, version=version, stage=stage).version
            dataset = None
            if path is not None:
                dataset = datasets.store_upload(
                    session,
                    name=path.name,
                    filename=path.name,
                    data=path.read_bytes(),
                    declared_format=None if fmt == "auto" else fmt,
                    caller=CLI,
                )
            try:
                job = queue_export(
                    session,
                    name,
                    number,
                    quantize=quantize,
                    dataset_id=dataset.id if dataset else None,
                    caller=CLI,
                )
            except BaseException:
                session.rollback()
                if dataset is not None:
                    datasets.delete_dataset(session, dataset, caller=CLI)
                raise
            return {
                "id": job.id,
                "kind": job.kind,
                "status": job.status,
                "model_name": name,
                "version": number,
                "precision": quantize or "fp32",
                "dataset_id": dataset.id if dataset else None,
            }
    finally:
        db.dispose()


def _store(model: str, quantize: str | None, texts: list[str] | None, examples: object) -> str:
    """Export a registered version and keep it with the version; a line saying so."""
    from open_interpreter.cli._open import split_reference
    from open_interpreter.services import registry
    from open_interpreter.services.exports import export_version
    from open_interpreter.storage import Database

    name, version, stage = split_reference(model)
    db = Database()
    try:
        with db.session() as session:
            number = registry.get_version(session, name, version=version, stage=stage).version
            stored = export_version(
                session,
                name,
                number,
                quantize=quantize,
                parity_texts=texts,
                parity_data=examples,
            )
    finally:
        db.dispose()
    megabytes = stored.size_bytes / 1e6
    return f"Kept an ONNX {stored.precision} export with {name}@{number} ({megabytes:.1f} MB)"
