"""``oi monitor``: the financial-news monitor — create one, replay news into it, read its
alerts and series (docs/monitor.md).

Example:
    $ oi monitor create banks --aliases aliases.json --rule '{"name": "drop", "kind": "adwin"}'
    $ oi monitor replay banks news.jsonl --speed 600
    $ oi monitor alerts banks
    $ oi monitor watch banks inbox/        # ingest each file dropped into inbox/ once
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
    oi monitor series banks entity:HSBC
    oi monitor watch banks inbox/                     # each new file ingested once
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
@json_option
@database_url_option
@handle_errors
def alerts(name: str, key: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """List the alerts of monitor NAME, the newest first."""
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
