"""``/v1/models/{name}/versions/{version}/exports``: ONNX exports kept with a version.

Exporting (``admin``, as promoting is: with ``OI_BACKEND=onnx`` an export is what serves
the version's predictions) runs the parity gate and is written to the audit log. Every
API process serving with the ONNX backend picks a new export up within
``EXPORT_RECHECK_S`` seconds.
"""

from __future__ import annotations

from fastapi import APIRouter, Path

from open_interpreter.services import exports, registry
from open_interpreter.serving.deps import AdminCaller, PredictKey, SessionDep
from open_interpreter.serving.schemas import ExportPublic, ExportRequest
from open_interpreter.storage import artifacts

router = APIRouter(prefix="/models", tags=["models"])

VersionNumber = Path(ge=1, le=2**31 - 1)


@router.get("/{name}/versions/{version}/exports")
def list_exports(
    name: str, session: SessionDep, _key: PredictKey, version: int = VersionNumber
) -> list[ExportPublic]:
    """The exports kept with a version (int8 first)."""
    row = registry.get_version(session, name, version=version)
    stored = exports.stored_exports(artifacts.resolve(row.path))
    return [ExportPublic.model_validate(e.to_dict()) for e in stored]


@router.post("/{name}/versions/{version}/exports", status_code=201)
def create_export(
    name: str,
    body: ExportRequest,
    session: SessionDep,
    caller: AdminCaller,
    version: int = VersionNumber,
) -> ExportPublic:
    """Export a version to ONNX (fp32, or int8) and keep it with the version.

    The export is kept only if it passes the parity gate (fp32 logits within 1e-4 of
    PyTorch's on a sample); otherwise 422 ``export_refused`` and nothing is kept. Causal
    language models and prefix-style adapters do not export yet (422 too). Exporting a
    precision again replaces its earlier export. A plain def: the export takes seconds and
    runs in the thread pool, off the event loop.
    """
    stored = exports.export_version(session, name, version, quantize=body.quantize, caller=caller)
    return ExportPublic.model_validate(stored.to_dict())
