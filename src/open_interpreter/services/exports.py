"""ONNX exports stored with a registered version, for serving without PyTorch.

An export of ``name@version`` lives in the version's own artifact folder, under
``exports/onnx-fp32`` or ``exports/onnx-int8``, so it is copied, backed up and deleted
with the version. It is written by :func:`open_interpreter.export.export_onnx` (atomic,
parity-gated: a refused export leaves nothing), and listed from those folders' cards:
there is nothing else to keep in step. ``oi serve --backend onnx`` predicts with a
version's stored export (see :func:`preferred_export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError
from open_interpreter.services import audit, registry
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts

EXPORTS = "exports"
"""The folder of a version's exports, inside its artifact folder."""

PRECISIONS = ("int8", "fp32")
"""Export precisions, in the order the ONNX backend prefers them."""


@dataclass(frozen=True)
class StoredExport:
    """An export kept with a registered version.

    Attributes:
        precision: ``fp32`` or ``int8``.
        path: Its directory (inside the version's artifact folder).
        card: Its ``export.json``: settings, sizes, parity figures.
    """

    precision: str
    path: Path
    card: dict[str, Any]

    @property
    def size_bytes(self) -> int:
        """Bytes of the exported files."""
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def to_dict(self) -> dict[str, Any]:
        """What the API and ``--json`` show (no server path)."""
        return {
            "format": "onnx",
            "precision": self.precision,
            "size_bytes": self.size_bytes,
            "parity": self.card.get("parity", {}),
            "created_at": self.card.get("exported_at"),
        }


def export_path(version_dir: Path, precision: str) -> Path:
    """Where the ``precision`` export of the version in ``version_dir`` is kept."""
    return version_dir / EXPORTS / f"onnx-{precision}"


def stored_exports(version_dir: Path) -> list[StoredExport]:
    """The exports kept with the version in ``version_dir``, int8 first."""
    from open_interpreter.export import EXPORT_CARD, read_card

    found = []
    for precision in PRECISIONS:
        path = artifacts.fetch(export_path(version_dir, precision))  # made on another machine?
        if (path / EXPORT_CARD).is_file():
            found.append(StoredExport(precision, path, read_card(path)))
    return found


def preferred_export(version_dir: Path, precision: str | None = None) -> StoredExport | None:
    """The export the ONNX backend serves: ``precision`` if given and kept, else int8,
    else fp32; None when the version has none."""
    exports = {e.precision: e for e in stored_exports(version_dir)}
    if precision is not None:
        return exports.get(precision)
    return next((exports[p] for p in PRECISIONS if p in exports), None)


def export_version(
    session: Session,
    name: str,
    version: int,
    *,
    quantize: str | None = None,
    parity_texts: list[Any] | None = None,
    parity_data: Any = None,
    parity_labels: Any = None,
    caller: Caller = LOCAL,
) -> StoredExport:
    """Export ``name@version`` to ONNX and keep the export with the version.

    Exporting the same precision again replaces the earlier export. Audited as
    ``model.export`` (target ``name@version``, with the precision and parity figures).

    Args:
        session: A database session.
        name: A registered model.
        version: Its version number.
        quantize: None for fp32, ``"int8"`` for dynamic int8.
        parity_texts: Inputs to check parity on (a few built-in texts by default).
        parity_data: Labelled data for the parity gate (int8's metric check needs it).
        parity_labels: Labels of ``parity_data`` when it is a list.
        caller: Who asks, for the audit log.

    Returns:
        The stored export.

    Raises:
        NotFoundError: No such model or version.
        ExportError: The model's task or adapter does not export, or parity failed.
        ConfigError: ``quantize`` is not None or ``"int8"``.
    """
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.export import export_onnx

    if quantize not in (None, "int8"):
        raise ConfigError(f"quantize must be None or 'int8', got {quantize!r}")
    row = registry.get_version(session, name, version=version)
    version_dir = artifacts.resolve(row.path)
    precision = quantize or "fp32"
    bundle = ModelBundle.load(version_dir)
    report = export_onnx(
        bundle,
        export_path(version_dir, precision),
        quantize=quantize,
        parity_texts=parity_texts,
        parity_data=parity_data,
        parity_labels=parity_labels,
    )
    artifacts.publish(f"{row.path}/{EXPORTS}/onnx-{precision}")
    audit.record(
        session,
        caller=caller,
        action="model.export",
        target=f"{name}@{version}",
        detail={"format": "onnx", "precision": precision, "parity": report.parity},
    )
    session.commit()
    return preferred_export(version_dir, precision)  # type: ignore[return-value]
