"""Opening a model by name: the one way every route and every command does it.

A name means, in order: a registered model (its production version, or the version or
stage asked for) when there is a registry; else what :func:`~open_interpreter.models.
resolve.resolve_model` finds — a local directory, the model store, a catalogue alias, the
Hugging Face cache, then the Hub where allowed (:func:`find_model`). A name from an API
client reaches less (:func:`server_reach`): never a directory, and the Hugging Face cache
and Hub only where the server allows them. A directory saved by the platform opens as the
bundle it is; a pretrained model opens as a bundle that loads when first used
(:func:`open_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from open_interpreter.bundle import ModelBundle
from open_interpreter.errors import ModelNotFoundError, NotFoundError
from open_interpreter.models.catalogue import catalogue_entry
from open_interpreter.models.resolve import EVERYWHERE, Reach, resolve_model
from open_interpreter.services import registry
from open_interpreter.storage import artifacts
from open_interpreter.wording import did_you_mean


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
    reach: Reach = EVERYWHERE,
) -> ModelSource:
    """Where ``name`` (and ``version`` or ``stage``) leads, without loading anything.

    Args:
        name: A registered model, a saved model's directory or store name, a catalogue
            alias or a Hub name.
        version: A registered version number.
        stage: A registry stage (``production``, ``archived``, ``none``).
        session: A session on the registry's database; without one, no registry is asked.
        registered_only: Look in the registry only (what a prediction route serves).
        reach: Where an unregistered name may lead (default: everywhere; for a name an API
            client sent, :func:`server_reach`).

    Raises:
        NotFoundError: A registered model without such a version, or a version or stage
            asked of a model that is not registered; or, for a reach without directories,
            ``name`` resolves nowhere it may (the message says what names are served).
        ModelNotFoundError: ``name`` resolves nowhere; the message lists what was tried.

    Example:
        >>> find_model("tiny-llama", reach=server_reach()).path  # doctest: +SKIP
        PosixPath('/home/me/.open_interpreter/models/tiny-llama')
    """
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
    try:
        path = resolve_model(name, reach=reach).path
    except ModelNotFoundError as exc:
        if reach.directories:
            if session is not None and (close := _registered_like(session, name)):
                raise ModelNotFoundError(name, exc.tried, f"{close} {exc.hint}") from None
            raise
        # A client's name: say which names are served, not which server paths were tried.
        raise NotFoundError(_not_served(name, reach, exc)) from exc
    return ModelSource(name, path, ModelBundle.is_saved(path))


def server_reach(*, allow_hub: bool = False, max_hub_bytes: int | None = None) -> Reach:
    """Where a model name sent by an API client may lead besides the registry: a catalogue
    alias or a model-store name, never a directory; the Hugging Face cache and the Hub only
    with ``allow_hub``, downloads capped at ``max_hub_bytes``.

    Example:
        >>> server_reach(allow_hub=True, max_hub_bytes=2_000_000_000).directories
        False
    """
    return Reach(directories=False, hub=allow_hub, max_hub_bytes=max_hub_bytes)


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


def _not_served(name: str, reach: Reach, error: ModelNotFoundError) -> str:
    entry = catalogue_entry(name)
    if entry is not None:
        served = f"model {name!r} is a catalogue alias not installed on this server"
    else:
        kinds = ["registered", "a catalogue alias", "a model-store name"]
        kinds += ["a Hugging Face model"] if reach.hub else []
        served = f"model {name!r} is not {', '.join(kinds[:-1])} or {kinds[-1]} on this server"
    return f"{served} ({error.tried[-1]})" if reach.hub else served


def _registered_like(session: Session, name: str) -> str:
    """``Did you mean the registered model 'x'?`` for a registered name spelled like
    ``name``, or ``""``."""
    names = [model.name for model in registry.list_models(session)]
    close = did_you_mean(name, names)
    return close.replace("Did you mean ", "Did you mean the registered model ", 1)


def _registered(session: Session, name: str) -> bool:
    try:
        registry.get_model(session, name)
    except NotFoundError:
        return False
    return True
