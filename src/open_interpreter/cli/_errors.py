"""Turn library errors into one clean CLI line: the only place errors meet the terminal.

Library code raises :class:`~open_interpreter.errors.OpenInterpreterError` subclasses and
never prints; every ``oi`` command wraps itself in :func:`handle_errors`, which prints one
red ``Error: ...`` line on stderr and exits with status 1. Anything else is a bug and keeps
its traceback.

Example:
    >>> @click.command()
    ... @handle_errors
    ... def show(name: str) -> None:
    ...     describe_model(name)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from open_interpreter.errors import ModelNotFoundError, OpenInterpreterError

P = ParamSpec("P")
R = TypeVar("R")


def error_line(error: OpenInterpreterError) -> str:
    """Render a library error as a single line (no newlines) for a terminal.

    Args:
        error: The error to show.

    Returns:
        The message on one line. A :class:`ModelNotFoundError` names the steps tried
        (with the reason when there was only one) and ends with its hint.

    Example:
        >>> error_line(ModelNotFoundError("x", ["model store: no x"], "Pull it."))
        "could not find model 'x' (model store: no x). Pull it."
    """
    if isinstance(error, ModelNotFoundError):
        if len(error.tried) == 1:
            tried = error.tried[0]
        else:
            tried = "tried " + ", ".join(step.split(":", 1)[0] for step in error.tried)
        return f"could not find model {error.name!r} ({tried}). {error.hint}"
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a click command so a library error becomes one red line and exit code 1.

    Put it under the ``@group.command()`` decorator so that click sees the wrapped
    function (its docstring stays the help text).

    Args:
        command: The command's callback.

    Returns:
        The callback, catching :class:`OpenInterpreterError` only.

    Raises:
        click.exceptions.Exit: With status 1, after printing the error line on stderr.

    Example:
        >>> @click.group()
        ... def models() -> None: ...
        >>> @models.command()
        ... @click.argument("name")
        ... @handle_errors
        ... def info(name: str) -> None: ...
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OpenInterpreterError as error:
            click.secho(f"Error: {error_line(error)}", fg="red", err=True)
            raise click.exceptions.Exit(1) from None

    return wrapper
