"""``oi serve`` (the REST API and its embedded workers) and ``oi keys`` (API keys)."""

from __future__ import annotations

import click

from open_interpreter.cli._errors import handle_errors
from open_interpreter.cli._json import echo_json, json_option
from open_interpreter.cli._options import database_url_option


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=0),
    help="Embedded fine-tune workers (default 1; 0 to run `oi worker` elsewhere).",
)
@click.option(
    "--backend",
    type=click.Choice(["torch", "onnx"]),
    default=None,
    help="What computes predictions (default torch): onnx serves each version's stored "
    "ONNX export where it has one (oi export NAME@VERSION --store).",
)
@click.option("--no-auth", is_flag=True, help="Serve without API keys: local experiments only.")
@database_url_option
@handle_errors
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    backend: str | None,
    no_auth: bool,
    database_url: str | None,
) -> None:
    """Serve the REST API (OpenAPI at /docs) with embedded fine-tune workers.

    The dashboard is at http://127.0.0.1:8000/. Requests need an API key (oi keys create).

    \b
    oi keys create --scope admin             # a key, shown once
    oi serve                                 # http://127.0.0.1:8000, SQLite under $OI_HOME
    oi serve --host 0.0.0.0 --port 9000
    oi serve --workers 0 & oi worker         # run the fine-tune worker apart
    oi serve --backend onnx                  # predict with stored ONNX exports
    OI_DATABASE_URL=postgresql+psycopg://user:pass@host/db oi serve
    curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/models

    See docs/api.md.
    """
    import uvicorn

    from open_interpreter.services.prompt_store import DatabasePromptStore
    from open_interpreter.services.worker import start_embedded_workers
    from open_interpreter.serving.app import create_app
    from open_interpreter.serving.settings import Settings
    from open_interpreter.storage import Database

    overrides = {
        k: v
        for k, v in {
            "host": host,
            "port": port,
            "workers": workers,
            "backend": backend,
            "database_url": database_url,
        }.items()
        if v is not None
    }
    if no_auth:
        overrides["auth"] = False
    settings = Settings(**overrides)
    db = Database(settings.database_url)
    if not settings.auth:
        click.secho(
            "WARNING: --no-auth: API keys are OFF. Anyone who can reach "
            f"{settings.host}:{settings.port} can train, predict and delete.",
            fg="red",
            bold=True,
            err=True,
        )
    unimported = DatabasePromptStore(db).missing_from()
    if unimported:
        click.echo(
            f"{len(unimported)} prompt(s) under $OI_HOME/prompts are not in the database: "
            "`oi prompt import` copies them",
            err=True,
        )
    app = create_app(settings, db)
    handle = start_embedded_workers(db.url, settings.workers) if settings.workers else None
    click.echo(
        f"Open Interpreter API on http://{settings.host}:{settings.port} "
        f"(docs at /docs, {settings.workers} worker(s), database {db.engine.dialect.name})"
    )
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_keep_alive=settings.keep_alive_s,
        )
    finally:
        if handle is not None:
            handle.stop()


@click.group(name="keys")
def keys() -> None:
    """Create, list and revoke API keys (scopes: predict < train < admin)."""


@keys.command(name="create")
@click.option(
    "--scope",
    type=click.Choice(["predict", "train", "admin"]),
    default="predict",
    show_default=True,
    help="What the key may do; each scope includes the ones before.",
)
@click.option("--name", default="key", show_default=True, help="A label to recognise it by.")
@handle_errors
def create_key_command(scope: str, name: str) -> None:
    """Create a key and print it once: it is stored only as a hash."""
    from open_interpreter.services.api_keys import create_key
    from open_interpreter.services.callers import CLI
    from open_interpreter.storage import Database

    with Database().session() as session:
        row, key = create_key(session, name=name, scope=scope, caller=CLI)
    click.echo(key)
    click.echo(f"({row.id}, scope {scope}; shown once — store it now)", err=True)


@keys.command(name="list")
@json_option
@handle_errors
def list_keys_command(as_json: bool) -> None:
    """List keys (their prefixes, never the keys)."""
    from open_interpreter.services.api_keys import list_keys
    from open_interpreter.storage import Database

    with Database().session() as session:
        rows = list_keys(session)
        if as_json:
            fields = ("id", "prefix", "scope", "name", "created_at", "revoked_at")
            echo_json([{field: getattr(row, field, None) for field in fields} for row in rows])
            return
        for row in rows:
            state = "revoked" if row.revoked_at else "active"
            click.echo(f"{row.id}  {row.prefix}…  {row.scope:<8} {state:<8} {row.name}")


@keys.command(name="revoke")
@click.argument("key_id")
@handle_errors
def revoke_key_command(key_id: str) -> None:
    """Revoke the key KEY_ID (from `oi keys list`)."""
    from open_interpreter.errors import ConfigError
    from open_interpreter.services.api_keys import revoke_key
    from open_interpreter.services.callers import CLI
    from open_interpreter.storage import Database

    with Database().session() as session:
        if not revoke_key(session, key_id, caller=CLI):
            raise ConfigError(f"no active key {key_id!r}")
    click.echo(f"revoked {key_id}")
