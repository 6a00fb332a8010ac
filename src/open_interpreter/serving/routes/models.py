"""``/v1/models``: the registry — list, get, versions, register, promote, roll back, delete.

Promoting, rolling back and deleting are written to the audit log with the caller's key
and address (``GET /v1/audit``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from open_interpreter.services import registry
from open_interpreter.serving.archives import check_saved_model, unpack_model
from open_interpreter.serving.deps import AdminCaller, PredictKey, SessionDep, StateDep
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import (
    NAME_PATTERN,
    ModelPublic,
    ModelsPublic,
    ModelVersionPublic,
    PromoteRequest,
)

router = APIRouter(prefix="/models", tags=["models"])


def _public(session: SessionDep, model) -> ModelPublic:
    versions = registry.list_versions(session, model.name)
    return ModelPublic(
        name=model.name,
        task=model.task,
        description=model.description,
        created_at=model.created_at,
        versions=[ModelVersionPublic.model_validate(v) for v in versions],
    )


@router.get("")
def list_models(session: SessionDep, _key: PredictKey) -> ModelsPublic:
    """Registered models with their versions."""
    models = registry.list_models(session)
    return ModelsPublic(data=[_public(session, m) for m in models], count=len(models))


@router.get("/{name}")
def get_model(name: str, session: SessionDep, _key: PredictKey) -> ModelPublic:
    """One registered model."""
    return _public(session, registry.get_model(session, name))


@router.get("/{name}/versions")
def list_versions(name: str, session: SessionDep, _key: PredictKey) -> list[ModelVersionPublic]:
    """Every version of a model, oldest first."""
    registry.get_model(session, name)
    return [ModelVersionPublic.model_validate(v) for v in registry.list_versions(session, name)]


@router.post("", status_code=201)
def register_model(
    state: StateDep,
    session: SessionDep,
    caller: AdminCaller,
    name: Annotated[str, Form(pattern=NAME_PATTERN)],
    archive: Annotated[UploadFile, File(description="A saved model directory as .zip or .tar.gz")],
) -> ModelVersionPublic:
    """Register a saved model (``interpreter.save`` / ``oi train`` output) uploaded as an archive.

    The archive is unpacked into a fresh temporary directory (entries that would escape it,
    too many entries, too many bytes or a compression bomb are refused: see
    :mod:`open_interpreter.serving.archives`), checked to be a saved model, and copied into
    the registry.
    """
    # A plain def, run in the thread pool: unpacking, checking, copying the weights and
    # removing the unpacked copy take a while and must not hold the event loop.
    limit = state.settings.max_upload_bytes
    data = archive.file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "too_large", f"uploads are limited to {limit} bytes")
    unpacked = state.settings.max_unpacked_bytes
    with tempfile.TemporaryDirectory() as tmp:
        root = unpack_model(data, Path(tmp), max_bytes=unpacked)
        check_saved_model(root, allow_remote_code=state.settings.allow_remote_code)
        version = registry.register_directory(
            session,
            model_name=name,
            path=root,
            caller=caller,
            audit_detail={"source": "upload", "bytes": len(data)},
        )
    state.versions.forget()
    return ModelVersionPublic.model_validate(version)


@router.post("/{name}/promote")
def promote(
    name: str, body: PromoteRequest, state: StateDep, session: SessionDep, caller: AdminCaller
) -> ModelVersionPublic:
    """Make a version the production one (the previous production version is archived)."""
    version = registry.promote(session, name, body.version, caller=caller)
    state.versions.forget()
    return ModelVersionPublic.model_validate(version)


@router.post("/{name}/rollback")
def rollback(
    name: str, state: StateDep, session: SessionDep, caller: AdminCaller
) -> ModelVersionPublic:
    """Put the previous production version back in production."""
    version = registry.rollback(session, name, caller=caller)
    state.versions.forget()
    return ModelVersionPublic.model_validate(version)


@router.delete("/{name}", status_code=204)
def delete_model(name: str, state: StateDep, session: SessionDep, caller: AdminCaller) -> None:
    """Delete a model, its versions and their files (``admin``, as promoting is)."""
    registry.delete_model(session, name, caller=caller)
    state.versions.forget()
