"""``oi export``: a fine-tuned model as an ONNX directory that predicts without torch."""

from __future__ import annotations

from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors
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
@handle_errors
def export(
    model: str,
    output: Path | None,
    store: bool,
    export_format: str,
    quantize: str | None,
    data: str | None,
    fmt: str,
    text_column: str,
    label_column: str,
    texts: tuple[str, ...],
) -> None:
    """Export fine-tuned MODEL (NAME, NAME@VERSION or NAME:STAGE) to ONNX.

    The export is written only if its fp32 logits match PyTorch's within 1e-4 on a
    sample; it predicts with onnxruntime and tokenizers only
    (OnnxModel.load(DIR).predict(texts)).

    \b
    oi export wnut16-ner --format onnx -o exports/wnut16-ner
    oi export wnut16-ner@2 --quantize int8 --data package:wnut16 -o exports/wnut16-ner-int8
    oi export wnut16-ner@2 --quantize int8 --data package:wnut16 --store
    """
    from open_interpreter.cli.sources import read_source

    if (output is None) == (not store):
        raise click.UsageError("give either -o DIR or --store (keep it with the version)")
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
