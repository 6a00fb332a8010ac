"""Options several ``oi`` commands share, spelled once."""

from __future__ import annotations

from pathlib import Path

import click

database_url_option = click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL (default: OI_DATABASE_URL, else SQLite under $OI_HOME).",
)

texts_file_option = click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read texts from this file, one per line.",
)


def quiet() -> bool:
    """Whether ``oi --quiet`` (warnings and errors only) was given; no progress bars then."""
    context = click.get_current_context(silent=True)
    return bool(context and context.find_root().params.get("quiet"))
