"""``oi prompt``: classify and extract with prompts, evaluate prompts, keep a prompt library.

Example:
    $ oi prompt run smollm2-135m-instruct "Arsenal won 2-0" --label sports --label business
    $ oi prompt eval examples/prompts/bbc_news.yaml dev_size=50
    $ oi prompt save topic --file topic.j2 && oi prompt diff topic

The library is the server's database when there is one (``OI_DATABASE_URL``, else
``$OI_HOME/oi.db`` once ``oi serve``, ``oi keys`` or ``oi prompt import`` made it), else
files under ``$OI_HOME/prompts``; ``oi prompt import`` copies those files into the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._open import open_named
from open_interpreter.cli._options import database_url_option, texts_file_option

if TYPE_CHECKING:
    from open_interpreter.prompting import PromptLibrary

DEFAULT_EVAL_OUTPUT = Path("runs") / "prompt-eval"


@click.group()
def prompt() -> None:
    """Use a model with prompts and no training; evaluate and keep prompt templates.

    \b
    oi prompt run smollm2-135m-instruct "Arsenal won 2-0" --label sports --label business
    oi prompt run minilm-l6 "Arsenal won" --label "sports=News about sport" --label ...
    oi prompt eval examples/prompts/bbc_news.yaml examples/prompts/tweet_sentiment.yaml
    oi prompt save topic --text "Topic of this article: {{ text }}"
    oi prompt list | oi prompt show topic@1 | oi prompt diff topic | oi prompt delete topic
    oi prompt import   # files under $OI_HOME/prompts into the database
    """


@contextmanager
def _library() -> Iterator[PromptLibrary]:
    """The database's library when the CLI finds a database as ``oi keys`` does (without
    creating one), else the files' library."""
    from open_interpreter.prompting import PromptLibrary
    from open_interpreter.services.prompt_store import DatabasePromptStore
    from open_interpreter.storage import Database, has_database

    if not has_database():
        yield PromptLibrary()
        return

    db = Database()
    try:
        yield PromptLibrary(DatabasePromptStore(db))
    finally:
        db.dispose()


def _labels(specs: tuple[str, ...]) -> dict[str, list[str]]:
    """``NAME`` or ``NAME=WORD|WORD`` (verbalizer words, or descriptions for an encoder)."""
    labels: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, words = spec.partition("=")
        if not name.strip():
            raise click.BadParameter(f"expected NAME or NAME=WORD|WORD, got {spec!r}")
        labels[name.strip()] = [w.strip() for w in words.split("|")] if sep else [name.strip()]
    return labels


def _texts(texts: tuple[str, ...], file: Path | None) -> list[str]:
    items = list(texts)
    if file is not None:
        items += [line for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not items:
        raise click.UsageError("give at least one TEXT, or --file with one text per line")
    return items


def _show(predictions: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(predictions.to_dict(), indent=2))
        return
    if predictions.bias:
        bias = ", ".join(f"{label} {p:.2f}" for label, p in predictions.bias.items())
        click.echo(f"calibrated; label bias measured on content-free inputs: {bias}")
    for prediction in predictions:
        confidence = prediction.distribution[prediction.label]
        text = " ".join(prediction.text.split())
        click.echo(f"{prediction.label}\t{confidence:.2f}\t{text[:70]}")


@prompt.command()
@click.argument("model")
@click.argument("texts", nargs=-1)
@texts_file_option
@click.option(
    "--label",
    "label_specs",
    multiple=True,
    required=True,
    help="A label: NAME, or NAME=WORD|WORD (an LM's words; an encoder's descriptions).",
)
@click.option(
    "--template", help="Jinja2 text with {{ text }}, a template file, or a library NAME[@VERSION]."
)
@click.option(
    "--examples",
    type=click.Path(exists=True, dir_okay=False),
    help="Labelled file (CSV/TSV/JSONL) of demonstrations: few-shot.",
)
@click.option(
    "-k",
    "--k",
    "k",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Demonstrations per prompt.",
)
@click.option(
    "--selection",
    type=click.Choice(["nearest", "random", "balanced"]),
    default="nearest",
    show_default=True,
    help="How demonstrations are chosen.",
)
@click.option("--calibrate", is_flag=True, help="Contextual calibration on content-free inputs.")
@click.option("--max-words", type=click.IntRange(min=1), help="Cut each text to this many words.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with every distribution.")
@handle_errors
def run(
    model: str,
    texts: tuple[str, ...],
    file: Path | None,
    label_specs: tuple[str, ...],
    template: str | None,
    examples: str | None,
    k: int,
    selection: str,
    calibrate: bool,
    max_words: int | None,
    as_json: bool,
) -> None:
    """Classify TEXTS with MODEL and no training: zero-shot, or few-shot with --examples.

    \b
    oi prompt run smollm2-135m-instruct "I loved it" --label positive --label negative
    oi prompt run smollm2-135m-instruct "Arsenal won" --label "sports=sport|football" \\
        --label business --examples train.csv -k 4 --selection nearest
    oi prompt run minilm-l6 "Shares fell" --label "business=Business and markets news" \\
        --label "sports=Sport news: football, tennis"
    """
    from open_interpreter.prompting import PromptTemplate

    items = _texts(texts, file)
    labels = _labels(label_specs)
    if template is not None and Path(template).is_file():
        template = PromptTemplate.from_file(template)  # type: ignore[assignment]
    elif template is not None and "{{" not in template and "{%" not in template:
        with _library() as library:  # a library NAME[@VERSION], as as_template reads it
            template = library.get(template).template  # type: ignore[assignment]
    interpreter = open_named(model)
    options = {"template": template, "calibrate": calibrate, "max_words": max_words}
    if examples is None:
        predictions = interpreter.zero_shot(items, labels, **options)
    else:
        predictions = interpreter.few_shot(
            items, examples, k, labels=labels, selection=selection, **options
        )
    _show(predictions, as_json)


@prompt.command()
@click.argument("model")
@click.argument("texts", nargs=-1)
@texts_file_option
@click.option("--types", required=True, help="Entity types, comma-separated: person,location.")
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Times an unreadable answer is asked again.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON with the raw answers.")
@handle_errors
def extract(
    model: str,
    texts: tuple[str, ...],
    file: Path | None,
    types: str,
    retries: int,
    as_json: bool,
) -> None:
    """Ask MODEL for the named entities of TEXTS as JSON and show them with their spans.

    \b
    oi prompt extract smollm2-135m-instruct "Ada Lovelace was born in London." \\
        --types person,location
    """
    names = [t.strip() for t in types.split(",") if t.strip()]
    results = open_named(model).extract_entities(_texts(texts, file), names, retries=retries)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], indent=2))
        return
    for result in results:
        click.echo(" ".join(result.text.split())[:70])
        if result.error:
            click.echo(f"  (unreadable answer after {result.attempts} tries: {result.error})")
        for entity in result.entities:
            click.echo(f"  {entity.type}\t{entity.start}-{entity.end}\t{entity.text}")
        for missed in result.unmatched:
            click.echo(f"  (ignored {missed['text']!r} [{missed['type']}]: {missed['reason']})")


@prompt.command(name="eval")
@click.argument("items", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_EVAL_OUTPUT,
    show_default=True,
    help="Folder for NAME.json and NAME.md of each evaluation.",
)
@handle_errors
def evaluate(items: tuple[str, ...], out: Path) -> None:
    """Score the runs of each CONFIG file on its labelled dev set; KEY=VALUE overrides apply to all.

    Prints one table per config — accuracy, macro-F1 and 95% bootstrap intervals, best
    first — and the measured effect of calibration and of nearest-neighbour demonstrations.

    \b
    oi prompt eval examples/prompts/bbc_news.yaml examples/prompts/tweet_sentiment.yaml
    oi prompt eval examples/prompts/bbc_news.yaml dev_size=50 --out runs/quick
    """
    from open_interpreter.prompting import evaluate_prompts, load_eval_config

    configs = [Path(item) for item in items if "=" not in item]
    overrides = [item for item in items if "=" in item]
    if not configs:
        raise click.UsageError("give at least one CONFIG file")
    for path in configs:
        config = load_eval_config(path, overrides)
        with _library() as library:
            table = evaluate_prompts(config, base_dir=path.parent, library=library)
        click.echo(table.to_markdown())
        written = table.save(out)
        click.echo(f"Saved {', '.join(str(p) for p in written)} ({table.seconds:.0f} s)\n")


@prompt.command()
@click.argument("name")
@click.option("--text", help="The template (Jinja2), e.g. 'Topic of: {{ text }}'.")
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the template from a file (YAML/JSON with text and system, or text).",
)
@click.option("--system", help="A system message (Jinja2 too).")
@click.option("--description", default="", help="What the template is for.")
@handle_errors
def save(
    name: str, text: str | None, file: Path | None, system: str | None, description: str
) -> None:
    """Save a template in the library as the next version of NAME."""
    from open_interpreter.prompting import PromptTemplate

    if (text is None) == (file is None):
        raise click.UsageError("give the template with exactly one of --text and --file")
    template = PromptTemplate.from_file(file) if file is not None else PromptTemplate(text or "")
    if system is not None:
        template = PromptTemplate(template.text, system, name=name)
    with _library() as library:
        saved = library.save(name, template, description)
    variables = ", ".join(sorted(saved.template.variables)) or "none"
    click.echo(f"{saved.reference} (variables: {variables})")


@prompt.command(name="list")
@json_option
@handle_errors
def list_prompts(as_json: bool) -> None:
    """List the library's templates: latest version, variables, description."""
    from open_interpreter.services.prompt_store import DatabasePromptStore

    with _library() as library:
        saved = library.list()
        store = library.store
        missing = store.missing_from() if isinstance(store, DatabasePromptStore) else []
    if missing:
        click.echo(
            f"{len(missing)} prompt(s) under $OI_HOME/prompts are not in the database "
            f"({', '.join(missing)}): oi prompt import",
            err=True,
        )
    if as_json:
        echo_json(
            [
                {
                    "reference": item.reference,
                    "name": item.name,
                    "version": item.version,
                    "variables": sorted(item.template.variables),
                    "created": item.created,
                    "description": item.description,
                }
                for item in saved
            ]
        )
        return
    if not saved:
        click.echo("No saved prompts yet: oi prompt save NAME --text '...'")
    for item in saved:
        variables = ",".join(sorted(item.template.variables))
        click.echo(f"{item.reference}\t{variables}\t{item.created}\t{item.description}")


@prompt.command()
@click.argument("reference")
@handle_errors
def show(reference: str) -> None:
    """Print a saved template: NAME (latest) or NAME@VERSION."""
    with _library() as library:
        item = library.get(reference)
    click.echo(f"# {item.reference} — {item.created} {item.description}".rstrip())
    if item.template.system is not None:
        click.echo(f"[system]\n{item.template.system}\n[user]")
    click.echo(item.template.text)


@prompt.command()
@click.argument("old")
@click.argument("new", required=False)
@handle_errors
def diff(old: str, new: str | None) -> None:
    """Diff two versions: NAME (latest vs previous), or OLD and NEW as NAME@VERSION."""
    with _library() as library:
        changes = library.diff(old, new)
    click.echo(changes if changes else "(no difference)", nl=not changes)


@prompt.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@handle_errors
def delete(name: str, yes: bool) -> None:
    """Delete a saved prompt and every version of it (asks first, unless --yes)."""
    with _library() as library:
        library.get(name)  # an unknown name fails here, before any question
        versions = [item.version for item in library.history(name)]
        if not yes:
            click.confirm(
                f"Delete {name} and its {len(versions)} version(s)?", abort=True, err=True
            )
        library.delete(name)
    click.echo(f"deleted {name} (versions {', '.join(map(str, versions))})")


@prompt.command(name="import")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder of NAME/vN.json files (default: $OI_HOME/prompts).",
)
@database_url_option
@handle_errors
def import_prompts(source: Path | None, database_url: str | None) -> None:
    """Copy prompts saved as files into the database (OI_DATABASE_URL, else $OI_HOME/oi.db).

    Versions keep their numbers and dates; the files stay. Running it again copies only
    new versions. A name whose file and database versions differ at the same number is a
    conflict and is left alone: rename one side and import again.
    """
    from open_interpreter.errors import ConflictError
    from open_interpreter.prompting import FilePromptStore
    from open_interpreter.services.prompt_store import DatabasePromptStore
    from open_interpreter.storage import Database

    db = Database(database_url)
    try:
        report = DatabasePromptStore(db).import_files(FilePromptStore(source))
    finally:
        db.dispose()
    click.echo(f"imported {len(report.imported)} version(s): {', '.join(report.imported) or '-'}")
    if report.unchanged:
        click.echo(f"already in the database: {', '.join(report.unchanged)}")
    if report.conflicts:
        raise ConflictError(
            "not imported: the database holds other versions under the same numbers of "
            f"{', '.join(report.conflicts)} (rename one side, then import again)"
        )
