"""``/v1/models/{name}/versions/{version}/exports``: ONNX exports kept with a version.

Exporting (``admin``, as promoting is: with ``OI_BACKEND=onnx`` an export is what serves
the version's predictions) runs the parity gate and is written to the audit log, in the
request (201, the default) or as a queued ``export`` job (``"wait": false``: 202 with the
job). Every API process serving with the ONNX backend picks a new export up within
``EXPORT_RECHECK_S`` seconds.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from fastapi import APIRouter, Path

from open_interpreter.errors import ExportError, NotFoundError
from open_interpreter.services import datasets, export_jobs, exports, registry
from open_interpreter.serving.deps import AdminCaller, PredictKey, SessionDep, StateDep
from open_interpreter.serving.schemas import (
    ExportPublic,
    ExportRequest,
    FineTunePublic,
    accepted_job,
)
from open_interpreter.serving.state import AppState
from open_interpreter.storage import artifacts

router = APIRouter(prefix="/models", tags=["models"])

VersionNumber = Path(ge=1, le=2**31 - 1)


@router.get("/{name}/versions/{version}/exports")
def list_exports(
    name: str,
    session: SessionDep,
    state: StateDep,
    _key: PredictKey,
    version: int = VersionNumber,
) -> list[ExportPublic]:
    """The exports kept with a version (int8 first); ``serves`` marks the one this
    server's ONNX backend predicts with."""
    row = registry.get_version(session, name, version=version)
    version_dir = artifacts.resolve(row.path)
    return [_public(e, state) for e in exports.stored_exports(version_dir)]


@router.post(
    "/{name}/versions/{version}/exports",
    status_code=201,
    response_model=ExportPublic,
    responses={202: {"model": FineTunePublic, "description": "The queued export job"}},
)
def create_export(
    name: str,
    body: ExportRequest,
    session: SessionDep,
    state: StateDep,
    caller: AdminCaller,
    version: int = VersionNumber,
) -> Any:
    """Export a version to ONNX (fp32, or int8) and keep it with the version.

    The export is kept only if it passes the parity gate (fp32 logits within 1e-4 of
    PyTorch's on a sample: the stored ``dataset_id`` when given, else built-in texts; int8
    within 1 point of PyTorch's accuracy / entity F1 on that dataset); otherwise 422
    ``export_refused`` and nothing is kept. Causal language models and prefix-style
    adapters do not export yet (422 too). Exporting a precision again replaces its earlier
    export.

    By default the export runs in the request (a plain def: in the thread pool, off the
    event loop) and the answer is the export (201). With ``"wait": false`` it is queued as
    an ``export`` job and the answer is the job (202, ``Location: /v1/fine-tunes/{id}``):
    its ``result`` is the export's card once a worker has run it, or its ``error`` the
    refusal.
    """
    if not body.wait:
        job = export_jobs.queue_export(
            session,
            name,
            version,
            quantize=body.quantize,
            dataset_id=body.dataset_id,
            caller=caller,
        )
        return accepted_job(job)
    registry.get_version(session, name, version=version)
    if not _has_torch():
        raise ExportError(
            "this server has no PyTorch to export with; queue the export for a worker "
            'that has it ("wait": false)'
        )
    parity_data = None
    if body.dataset_id is not None:
        dataset = datasets.get_dataset(session, body.dataset_id, caller=caller)
        if dataset is None:
            raise NotFoundError(f"dataset_id: no dataset with id {body.dataset_id[:64]!r}")
        parity_data = datasets.load_examples(dataset)
    stored = exports.export_version(
        session, name, version, quantize=body.quantize, parity_data=parity_data, caller=caller
    )
    return _public(stored, state)


def _public(stored: exports.StoredExport, state: AppState) -> ExportPublic:
    """An export as the API shows it, with whether this server serves it."""
    settings = state.settings
    version_dir = stored.path.parent.parent  # <version>/exports/onnx-<precision>
    served = (
        exports.preferred_export(version_dir, settings.onnx_precision)
        if settings.backend == "onnx"
        else None
    )
    serves = served is not None and served.path == stored.path
    return ExportPublic.model_validate({**stored.to_dict(), "serves": serves})


def _has_torch() -> bool:
    """Whether this process could import torch (a torch-free image cannot export here)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except ImportError:
        return False
