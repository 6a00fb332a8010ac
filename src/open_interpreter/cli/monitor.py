"""``oi monitor``: the financial-news monitor — create one, replay news into it, read its
alerts and series (docs/monitor.md).

Example:
    $ oi monitor create banks --aliases aliases.json --rule '{"name": "drop", "kind": "adwin"}'
    $ oi monitor replay banks news.jsonl --speed 600
    $ oi monitor alerts banks
    $ oi monitor alerts banks --follow --server http://127.0.0.1:8000   # a server's, live
    $ oi monitor watch banks inbox/        # ingest each file dropped into inbox/ once
    $ oi monitor train-classifier banks sentiment --train labelled.csv --set epochs=2
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._options import database_url_option
from open_interpreter.errors import ConfigError, DataError

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def monitor() -> None:
    """Watch news for companies and people: sentiment, topics, series and alerts.

    \b
    oi monitor create banks --aliases aliases.json --rule '{"name": "drop", "kind": "adwin"}'
    oi monitor replay banks news.jsonl --speed 600   # 10 minutes of news a second
    oi monitor alerts banks
    oi monitor alerts banks --follow --server URL    # a running server's alerts, live
    oi monitor series banks entity:HSBC
    oi monitor watch banks inbox/                     # each new file ingested once
    oi monitor train-classifier banks sentiment --train labelled.csv   # queued as a job
    """


@monitor.command()
@click.argument("name")
@click.option("--settings", "settings_file", type=_FILE, help="Settings as a JSON or YAML file.")
@click.option("--aliases", "aliases_file", type=_FILE, help="Alias table as a JSON file.")
@click.option("--rule", "rules", multiple=True, help="An alert rule as JSON (repeatable).")
@click.option("--webhook", "webhooks", multiple=True, help="A URL alerts are POSTed to.")
@click.option("--secret", default="", help="HMAC-SHA256 signing key for the webhooks.")
@click.option("--window", "window_minutes", type=int, help="Window length in minutes.")
@click.option("--step", "step_minutes", type=int, help="Minutes between window ends.")
@click.option(
    "--sentiment",
    type=click.Choice(["model", "lexicon"]),
    help="model (fine-tuned, the default) or lexicon (the LM dictionary alone).",
)
@database_url_option
@handle_errors
def create(
    name: str,
    settings_file: Path | None,
    aliases_file: Path | None,
    rules: tuple[str, ...],
    webhooks: tuple[str, ...],
    secret: str,
    window_minutes: int | None,
    step_minutes: int | None,
    sentiment: str | None,
    database_url: str | None,
) -> None:
    """Create the monitor NAME, or replace its settings."""
    from pydantic import ValidationError

    from open_interpreter.apps.monitor import AliasTable, Monitor

    settings: dict[str, Any] = _read_settings(settings_file) if settings_file else {}
    if aliases_file:
        settings["aliases"] = AliasTable.load(aliases_file).to_dict()
    if rules:
        settings["rules"] = [_json_option("--rule", rule) for rule in rules]
    if webhooks:
        settings["webhooks"] = [{"url": url, "secret": secret} for url in webhooks]
    given = {"window_minutes": window_minutes, "step_minutes": step_minutes, "sentiment": sentiment}
    settings.update({key: value for key, value in given.items() if value is not None})
    try:
        made = Monitor(name, database=database_url, settings=settings)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"invalid monitor settings: {problems}") from None
    chosen = made.settings
    click.echo(
        f"monitor {name}: {len(chosen.aliases)} entities, {len(chosen.rules)} rules, "
        f"{len(chosen.webhooks)} webhooks, {chosen.window_minutes}-minute windows "
        f"every {chosen.step_minutes} minutes, sentiment by {chosen.sentiment}"
    )


@monitor.command()
@click.argument("name")
@click.argument("file", type=_FILE)
@click.option(
    "--speed",
    type=float,
    default=None,
    help="Times faster than published (default: as fast as possible).",
)
@click.option(
    "--batch-size", type=int, default=64, show_default=True, help="Documents analysed together."
)
@database_url_option
@handle_errors
def replay(
    name: str, file: Path, speed: float | None, batch_size: int, database_url: str | None
) -> None:
    """Replay the news in FILE (JSONL or CSV: id, time, source, text) into monitor NAME."""
    from open_interpreter.apps.monitor import Monitor

    watched = Monitor.open(name, database=database_url)

    def report(done: Any) -> None:
        for alert in done.alerts:
            click.echo(
                f"ALERT {alert['time']} {alert['key']}: {alert['message']} ({alert['rule']})"
            )

    total = watched.replay(file, speed=speed, batch_size=batch_size, on_batch=report)
    click.echo(
        f"{total.stored} documents stored, {total.duplicates} already known, "
        f"{len(total.alerts)} alerts"
    )


@monitor.command()
@click.argument("name")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--poll", type=float, default=2.0, show_default=True, help="Seconds between looks.")
@click.option(
    "--settle",
    type=float,
    default=1.0,
    show_default=True,
    help="A file is taken once unchanged this many seconds.",
)
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--once", is_flag=True, help="Ingest what is there now, then stop.")
@database_url_option
@handle_errors
def watch(
    name: str,
    directory: Path,
    poll: float,
    settle: float,
    batch_size: int,
    once: bool,
    database_url: str | None,
) -> None:
    """Ingest each new JSONL or CSV file dropped into DIRECTORY into monitor NAME, once:
    it is then moved to DIRECTORY/done (a malformed one to DIRECTORY/failed, beside a
    .error.txt naming the line). Runs until interrupted, unless --once."""
    from open_interpreter.apps.monitor import Monitor
    from open_interpreter.apps.monitor.watch import watch as watch_directory
    from open_interpreter.apps.monitor.watch import watch_once

    watched = Monitor.open(name, database=database_url)

    def report(outcome: Any) -> None:
        if outcome.outcome == "done":
            click.echo(
                f"{outcome.name}: {outcome.stored} stored, {outcome.duplicates} already known, "
                f"{outcome.alerts} alerts"
            )
        else:
            click.echo(f"{outcome.name}: failed: {outcome.error}", err=True)

    if once:
        for outcome in watch_once(watched, directory, batch_size=batch_size, settle_seconds=settle):
            report(outcome)
        return
    click.echo(f"watching {directory} (Ctrl-C stops)")
    try:
        watch_directory(
            watched,
            directory,
            poll_seconds=poll,
            batch_size=batch_size,
            settle_seconds=settle,
            on_file=report,
        )
    except KeyboardInterrupt:
        click.echo("stopped")


@monitor.command()
@click.argument("name")
@click.option("--key", default=None, help="Only this series (entity:NAME, topic:NAME).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option(
    "--follow",
    is_flag=True,
    help="Follow a running server's alert stream: print each new alert as it is raised.",
)
@click.option(
    "--server",
    default=None,
    metavar="URL",
    help="With --follow: the server (default: $OI_URL, else http://127.0.0.1:8000).",
)
@click.option(
    "--api-key",
    default=None,
    envvar="OI_API_KEY",
    help="With --follow: a predict key for the server (default: $OI_API_KEY).",
)
@click.option(
    "--after",
    default=None,
    metavar="CURSOR",
    help="With --follow: start after this alert cursor (0: from the first alert).",
)
@json_option
@database_url_option
@handle_errors
def alerts(
    name: str,
    key: str | None,
    limit: int,
    follow: bool,
    server: str | None,
    api_key: str | None,
    after: str | None,
    as_json: bool,
    database_url: str | None,
) -> None:
    """List the alerts of monitor NAME, the newest first; with --follow, print those a
    running server raises from now on, one line each, until Ctrl-C."""
    if follow:
        if key or database_url:
            raise click.UsageError("--follow reads a server's stream: no --key, --database-url")
        _follow_alerts(name, server, api_key, after, as_json)
        return
    if server or after:
        raise click.UsageError("--server and --after go with --follow")
    from open_interpreter.apps.monitor import Monitor

    found = Monitor.open(name, database=database_url).alerts(key=key, limit=limit)
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no alerts")
    for alert in found:
        sent = sum(d["delivered"] for d in alert["deliveries"])
        click.echo(
            f"{alert['time']}  {alert['rule']:<16} {alert['key']:<28} {alert['message']}"
            f"  [{len(alert['document_ids'])} documents, {sent} delivered]"
        )


def _follow_alerts(
    name: str, server: str | None, api_key: str | None, after: str | None, as_json: bool
) -> None:
    """Print each alert of the server's monitor NAME as it arrives, until Ctrl-C."""
    import os

    import httpx

    from open_interpreter.client import Client
    from open_interpreter.client.client import DEFAULT_URL
    from open_interpreter.errors import OpenInterpreterError

    url = (server or os.environ.get("OI_URL") or DEFAULT_URL).rstrip("/")
    with Client(url, api_key) as client:
        try:
            found = client.monitors.find(name)
            click.echo(f"following the alerts of {name} on {url} (Ctrl-C stops)", err=True)
            for cursor, alert in client.monitors.follow_alerts(found["id"], after=after):
                _print_alert(alert, cursor, as_json)
            click.echo(f"monitor {name} was deleted", err=True)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise OpenInterpreterError(f"cannot reach the server at {url}: {reason}") from None


def _print_alert(alert: dict[str, Any], cursor: str, as_json: bool) -> None:
    """One followed alert on one line (JSON with its cursor, with ``--json``)."""
    if as_json:
        click.echo(json.dumps({**alert, "cursor": cursor}, default=str))
        return
    click.echo(
        f"{alert['time']}  {alert['rule']:<16} {alert['key']:<28} {alert['message']}"
        f"  [{len(alert['document_ids'])} documents]",
    )


@monitor.command()
@click.argument("name")
@click.argument("key")
@json_option
@database_url_option
@handle_errors
def series(name: str, key: str, as_json: bool, database_url: str | None) -> None:
    """Print the windows of series KEY (entity:NAME or topic:NAME) of monitor NAME."""
    from open_interpreter.apps.monitor import Monitor

    points = Monitor.open(name, database=database_url).series(key)
    if as_json:
        echo_json(points)
        return
    if not points:
        click.echo(f"no windows for {key}")
    for p in points:
        click.echo(
            f"{p['window_end']}  volume {p['volume']:>4}  mean {p['mean_sentiment']:+.3f}"
            f"  negative {p['share_negative']:.0%}"
        )


@monitor.command(name="train-classifier")
@click.argument("name")
@click.argument("classifier", type=click.Choice(["sentiment", "topic"]))
@click.option(
    "--train",
    required=True,
    metavar="FILE|ID",
    help="Texts with labels: a CSV/TSV/JSONL file (stored as a dataset) or a dataset id (ds_…).",
)
@click.option("--validation", metavar="FILE|ID", help="Scored after every epoch.")
@click.option("--test", metavar="FILE|ID", help="Scored once at the end.")
@click.option("--model-name", help="Registry name (default: NAME-CLASSIFIER).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="A setting over the monitor's recipe, e.g. epochs=2 (repeatable).",
)
@json_option
@database_url_option
@handle_errors
def train_classifier(
    name: str,
    classifier: str,
    train: str,
    validation: str | None,
    test: str | None,
    model_name: str | None,
    overrides: tuple[str, ...],
    as_json: bool,
    database_url: str | None,
) -> None:
    """Queue the training of monitor NAME's sentiment or topic classifier as a job.

    A worker on this database runs it (`oi worker`, or `oi serve --workers N`): it
    fine-tunes the monitor's recipe (minilm-l6, top 2 layers, 40 tokens) with the --set
    settings over it, registers the classifier and points the monitor at it. Sentiment
    labels are negative, neutral and positive; a topic dataset has two labels or more.
    Everything is checked before anything is stored or queued.
    """
    from open_interpreter.apps.monitor import classifier_jobs, store
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services import datasets
    from open_interpreter.services.callers import CLI
    from open_interpreter.storage import Database

    settings = _settings_option(overrides)
    sources = {"train": train, "validation": validation, "test": test}
    files = {split: _file(split, value) for split, value in sources.items() if value}
    for path in files.values():
        if path is not None:
            _check_training_file(classifier, path)
    ids = {split: sources[split] for split, path in files.items() if path is None}
    with Database(database_url).session() as session:
        record = store.find_monitor(session, name)
        if record is None:
            raise NotFoundError(f"no monitor named {name!r} (oi monitor create {name})")
        classifier_jobs.check_request(
            session,
            record,
            classifier,
            dataset_ids=list(ids.values()),
            model_name=model_name,
            settings=settings,
            caller=CLI,
        )
        stored = []
        for split, path in files.items():
            if path is not None:
                row = datasets.store_upload(
                    session,
                    name=path.name,
                    filename=path.name,
                    data=path.read_bytes(),
                    declared_format=None,
                    caller=CLI,
                )
                stored.append(row)
                ids[split] = row.id
        try:
            job = classifier_jobs.queue_classifier_training(
                session,
                record,
                classifier,
                train_dataset_id=ids["train"],
                validation_dataset_id=ids.get("validation"),
                test_dataset_id=ids.get("test"),
                model_name=model_name,
                settings=settings,
                caller=CLI,
            )
        except BaseException:
            session.rollback()
            for row in stored:
                datasets.delete_dataset(session, row, caller=CLI)
            raise
        shown = {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "model_name": job.model_name,
            "config": job.config,
            "datasets": {split: ids.get(split) for split in sources},
        }
    if as_json:
        echo_json(shown)
        return
    stored_line = ", ".join(f"{s} {ids[s]}" for s in sources if ids.get(s))
    click.echo(
        f"queued {shown['id']}: the {classifier} classifier of monitor {name}, registered as "
        f"{shown['model_name']} when it succeeds (datasets: {stored_line})"
    )
    click.echo("run it:    oi worker   (or a server on this database: oi serve --workers 1)")
    click.echo(f"follow it: oi runs show {shown['id']}")


def _settings_option(overrides: tuple[str, ...]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as settings (a value is a number when it reads as one:
    2, 5e-5; else a word)."""
    settings: dict[str, Any] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip() or not text.strip():
            raise DataError(f"--set takes KEY=VALUE, got {item!r}")
        value: int | float | str = text.strip()
        for number in (int, float):
            try:
                value = number(text)
                break
            except ValueError:
                continue
        settings[key.strip()] = value
    return settings


def _file(split: str, value: str) -> Path | None:
    """The file ``value`` names, or None when it is a stored dataset's id."""
    path = Path(value)
    if path.is_file():
        return path
    if value.startswith("ds_"):
        return None
    raise DataError(f"--{split}: no file {value!r} (a stored dataset's id starts with ds_)")


def _check_training_file(classifier: str, path: Path) -> None:
    """Read a training file and refuse labels the classifier cannot learn."""
    from open_interpreter.apps.monitor import training
    from open_interpreter.data.examples import TextExamples
    from open_interpreter.data.readers import read_file
    from open_interpreter.services.datasets import guess_format

    examples = read_file(path, format=guess_format(path.name, None))
    try:
        if not isinstance(examples, TextExamples):
            training.check_labels(classifier, [], "tokens")
        training.check_labels(classifier, list(examples.labels or []))
    except DataError as error:
        raise DataError(str(error), source=str(path)) from None


def _json_option(option: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{option} takes a JSON object: {error.msg}") from None
    if not isinstance(value, dict):
        raise DataError(f"{option} takes a JSON object, got {text!r}")
    return value


def _read_settings(path: Path) -> dict[str, Any]:
    import yaml

    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    except yaml.YAMLError as error:
        raise DataError(f"not YAML or JSON: {error}", source=str(path)) from None
    if not isinstance(value, dict):
        raise DataError("settings must be a mapping", source=str(path))
    return value
