"""How every ``oi`` command opens a model by name (``NAME``, ``NAME@VERSION``, ``NAME:STAGE``)."""

from __future__ import annotations

import re
from typing import Any

_VERSION = re.compile(r"^(?P<name>.+)@(?P<version>\d+)$")
_STAGE = re.compile(r"^(?P<name>.+):(?P<stage>production|archived|none)$")


def split_reference(reference: str) -> tuple[str, int | None, str | None]:
    """``NAME@3`` → (NAME, 3, None); ``NAME:production`` → (NAME, None, "production")."""
    if match := _VERSION.match(reference):
        return match["name"], int(match["version"]), None
    if match := _STAGE.match(reference):
        return match["name"], None, match["stage"]
    return reference, None, None


def open_named(reference: str) -> Any:
    """The model ``reference`` names, as an ``OpenInterpreter``: a registered model when a
    database is there (``OI_DATABASE_URL`` or ``$OI_HOME/oi.db``), else a saved model's
    directory or store name, a catalogue alias or a Hub name (see
    :func:`open_interpreter.services.models.find_model`)."""
    from open_interpreter.interpreter import OpenInterpreter
    from open_interpreter.services.models import find_model, open_model
    from open_interpreter.storage import Database, has_database

    name, version, stage = split_reference(reference)
    if not has_database():
        return OpenInterpreter.from_bundle(
            open_model(find_model(name, version=version, stage=stage))
        )
    db = Database()
    try:
        with db.session() as session:
            source = find_model(name, version=version, stage=stage, session=session)
    finally:
        db.dispose()
    return OpenInterpreter.from_bundle(open_model(source))


def open_trained(reference: str) -> Any:
    """The model ``reference`` names (see :func:`open_named`), for a command that needs
    its task head: ``oi predict``, ``oi explain``, ``oi robustness``.

    Raises:
        ModelStateError: The name leads to a pretrained model without a task head; the
            message says how to train one, or how to use it without training.
    """
    interpreter = open_named(reference)
    if interpreter.task is None:
        raise no_head_error(reference)
    return interpreter


def no_head_error(reference: str) -> Exception:
    """What to say of a pretrained model asked for a task it has no head for."""
    from open_interpreter.errors import ModelStateError

    return ModelStateError(
        f"{reference} has no task head: train it first (oi train CONFIG.yaml, with "
        f"model: {reference} in the YAML), or use `oi prompt run {reference} TEXT --label A "
        "--label B` to classify without training"
    )
