"""``oi evaluate`` and ``oi predict``: use a fine-tuned model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._open import open_named
from open_interpreter.cli.sources import data_file_options


@click.command()
@click.argument("model")
@click.argument("data")
@data_file_options
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as JSON to this file.",
)
@handle_errors
def evaluate(
    model: str, data: str, fmt: str, text_column: str, label_column: str, json_out: Path | None
) -> None:
    """Score fine-tuned MODEL (a name in the model store or a directory) on labelled DATA.

    \b
    oi evaluate conll2003_ner ../shared/data/conll2003/eng.testa
    """
    from open_interpreter.cli.sources import read_source

    interpreter = open_named(model)
    examples = read_source(data, format=fmt, text_column=text_column, label_column=label_column)
    report = interpreter.evaluate(examples, split=Path(data).name)
    click.echo(str(report))
    if json_out is not None:
        report.save(json_out)
        click.echo(f"\nReport written to {json_out}")


@click.command()
@click.argument("model")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per input.")
@handle_errors
def predict(model: str, inputs: tuple[str, ...], as_json: bool) -> None:
    """Predict with fine-tuned MODEL on texts, or on a file with one text per line.

    \b
    oi predict wnut16_ner "Paris Hilton flew to Paris"
    oi predict bbc_topics articles.txt --json
    """
    texts = _texts(inputs)
    interpreter = open_named(model)
    predictions = interpreter.predict(texts)
    for text, prediction in zip(texts, predictions, strict=True):
        if as_json:
            click.echo(json.dumps({"text": text, **prediction.to_dict()}))
        elif hasattr(prediction, "entities"):
            found = ", ".join(f"{e.text} [{e.type} {e.score:.2f}]" for e in prediction.entities)
            click.echo(f"{text}\n  -> {found or 'no entities'}")
        else:
            click.echo(f"{text}\n  -> {prediction.label} ({prediction.score:.2f})")


def _texts(inputs: tuple[str, ...]) -> list[str]:
    """Each input is a text, or a file whose non-blank lines are texts."""
    from open_interpreter.errors import DataError

    texts: list[str] = []
    for item in inputs:
        path = Path(item)
        if len(item) < 4096 and path.is_file():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"not UTF-8 ({exc.reason} at byte {exc.start})", source=item
                ) from None
            texts += [line for line in lines if line.strip()]
        else:
            texts.append(item)
    return texts
