"""``--json`` for listing commands: the rows as a JSON array on stdout, for scripts and
``jq``, instead of the table."""

from __future__ import annotations

import json
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the rows as a JSON array instead of a table."
)


def echo_json(rows: Any) -> None:
    """Print ``rows`` as indented JSON (dates and paths as strings)."""
    click.echo(json.dumps(rows, indent=2, default=str))
