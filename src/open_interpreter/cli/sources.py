"""Where ``oi`` commands read data from: a file, or ``package:NAME`` for packaged data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

FORMATS = ["auto", "csv", "tsv", "jsonl", "conll"]


def data_file_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say how to read a labelled DATA file: ``--format``,
    ``--text-column``, ``--label-column`` (as ``fmt``, ``text_column``, ``label_column``)."""
    options = [
        click.option(
            "--format",
            "fmt",
            default="auto",
            show_default=True,
            type=click.Choice(FORMATS),
            help="File format of DATA.",
        ),
        click.option(
            "--text-column", default="text", show_default=True, help="Text column (CSV/JSONL)."
        ),
        click.option("--label-column", default="label", show_default=True, help="Label column."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def read_source(source: str | None, config_dir: Path | None = None, **columns: Any) -> Any:
    """Read a data source named in a config or on the command line.

    Args:
        source: A file path, or ``package:wnut16`` for data shipped in a PyPI package.
            A relative path is looked up from the current directory, then from
            ``config_dir``.
        config_dir: The directory of the config file that named ``source``.
        **columns: ``format``, ``text_column``, ``label_column``, ``text_pair_column``.

    Returns:
        Examples, or None when ``source`` is None.

    Raises:
        DataError: The file is missing or malformed, or the package is not installed.
    """
    from open_interpreter.data.packaged import load_packaged, names_packaged
    from open_interpreter.data.readers import read_file

    if source is None:
        return None
    if names_packaged(source):
        return load_packaged(source)
    path = Path(source).expanduser()
    if not path.is_absolute() and not path.exists() and config_dir is not None:
        beside = config_dir / path
        path = beside if beside.exists() else path
    return read_file(path, **columns)
