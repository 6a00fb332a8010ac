"""``oi evaluate`` and ``oi predict``: use a fine-tuned model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._open import no_head_error, open_named, open_trained
from open_interpreter.cli._options import quiet
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
    """Score fine-tuned MODEL (a name in the model store or a directory) on labelled DATA
    (a file, or package:NAME for packaged data).

    \b
    oi train examples/conll2003_ner.yaml    # saves conll2003_ner in the model store
    oi evaluate conll2003_ner ../shared/data/conll2003/eng.testa
    oi evaluate wnut16_ner tweets.conll --json report.json

    A progress bar shows the batches scored (on a terminal; not with oi --quiet).
    """
    from open_interpreter.cli.sources import read_source
    from open_interpreter.data.examples import ChatExamples

    interpreter = open_named(model)
    examples = read_source(data, format=fmt, text_column=text_column, label_column=label_column)
    if interpreter.task is None and not isinstance(examples, ChatExamples):
        raise no_head_error(model)
    report = interpreter.evaluate(examples, split=Path(data).name, progress=not quiet())
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
    oi train examples/wnut16_ner.yaml       # saves wnut16_ner in the model store
    oi predict wnut16_ner "Paris Hilton flew to Paris"
    oi predict wnut16_ner tweets.txt --json

    An input with no spaces that ends in a data file's extension (.txt, .csv, .jsonl...)
    is read as a file, and must exist.
    """
    texts = _texts(inputs)
    interpreter = open_trained(model)
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
    """Each input is a text, or a file whose non-blank lines are texts.

    Raises:
        DataError: An input names a file (no spaces, a data file's extension) that does
            not exist, or a file that is not UTF-8.
    """
    from open_interpreter.data.readers import SUPPORTED_EXTENSIONS
    from open_interpreter.errors import DataError

    texts: list[str] = []
    for item in inputs:
        path = Path(item)
        looks_like_a_file = not any(c.isspace() for c in item) and (
            path.suffix.lower() in SUPPORTED_EXTENSIONS
        )
        if looks_like_a_file and not path.exists():
            raise DataError(
                f"no such file: {item} (an input without spaces that ends in {path.suffix} "
                "is read as a file of texts, one per line)"
            )
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
