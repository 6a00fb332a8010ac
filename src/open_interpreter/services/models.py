"""Opening a model by name: the one way every route and every command does it.

A name means, in order: a registered model (its production version, or the version or
stage asked for) when there is a registry; else what :func:`~open_interpreter.models.
resolve.resolve_model` finds — a local directory, the model store, a catalogue alias, the
Hugging Face cache, then the Hub where allowed (:func:`find_model`). A directory saved
by the platform opens as the bundle it is; a pretrained model opens as a bundle that loads
when first used (:func:`open_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from open_interpreter.bundle import ModelBundle
from open_interpreter.errors import NotFoundError
from open_interpreter.services import registry
from open_interpreter.storage import artifacts


@dataclass(frozen=True)
class ModelSource:
    """Where a model name led.

    Attributes:
        name: The name asked for.
        path: The directory holding the weights.
        saved: Whether it is a model saved by the platform (else a pretrained model).
        version: The registered version, when the registry named it.
    """

    name: str
    path: Path
    saved: bool
    version: int | None = None


def find_model(
    name: str,
    *,
    version: int | None = None,
    stage: str | None = None,
    session: Session | None = None,
    registered_only: bool = False,
) -> ModelSource:
    """Where ``name`` (and ``version`` or ``stage``) leads, without loading anything.

    Args:
        name: A registered model, a saved model's directory or store name, a catalogue
            alias or a Hub name.
        version: A registered version number.
        stage: A registry stage (``production``, ``archived``, ``none``).
        session: A session on the registry's database; without one, no registry is asked.
        registered_only: Look in the registry only (what a prediction route serves).

    Raises:
        NotFoundError: A registered model without such a version, or a version or stage
            asked of a model that is not registered.
        ModelNotFoundError: ``name`` resolves nowhere; the message lists what was tried.
    """
    from open_interpreter.models.resolve import resolve_model

    if session is not None and _registered(session, name):
        row = registry.get_version(session, name, version=version, stage=stage)
        return ModelSource(name, artifacts.resolve(row.path), True, row.version)
    if registered_only:
        raise NotFoundError(f"no registered model named {name!r}")
    if version is not None or stage is not None:
        raise NotFoundError(
            f"no registered model named {name!r}: versions and stages belong to registered "
            "models (`oi models register NAME DIR`)"
        )
    path = resolve_model(name).path
    return ModelSource(name, path, ModelBundle.is_saved(path))


def open_model(source: ModelSource) -> ModelBundle:
    """The bundle at ``source`` (see :func:`find_model`): a saved model loaded whole, or a
    pretrained model that loads when first used.

    Example:
        >>> with Database().session() as session:  # doctest: +SKIP
        ...     bundle = open_model(find_model("wnut16-ner", session=session))
    """
    if source.saved:
        return ModelBundle.load(source.path)
    return ModelBundle(model_name=source.name)


def _registered(session: Session, name: str) -> bool:
    try:
        registry.get_model(session, name)
    except NotFoundError:
        return False
    return True
