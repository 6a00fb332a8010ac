"""The ``export`` job kind: export a registered version to ONNX in a worker, not a request.

``POST /v1/models/{name}/versions/{version}/exports`` with ``"wait": false`` queues one
(:func:`queue_export`); a worker runs it in its child process like any job (claimed,
leased, cancellable before it starts exporting). It calls
:func:`~open_interpreter.services.exports.export_version`, so the export goes through the
same parity gate, is kept in the version's artifact folder and is audited as
``model.export``. A labelled stored dataset (the job's ``test_dataset_id``) can be the
parity data, which int8's metric check needs. The job's result is the export's card
(precision, size, parity figures, seconds); a refused export fails the job with the
refusal's message and keeps nothing.

Config: ``{"version": 1, "quantize": "int8"}`` (``quantize`` None for fp32).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.job_kinds import JobContext, JobKind
from open_interpreter.storage.tables import FineTuneJob

KIND = "export"
"""The job kind's name, as stored on the job."""

QUANTIZE = (None, "int8")
"""What ``quantize`` may be: None (fp32) or ``int8`` (ONNX Runtime dynamic int8)."""


def check(config: dict[str, Any]) -> dict[str, Any]:
    """An export job's config, validated: ``version`` (a version number) and ``quantize``.

    Raises:
        ConfigError: A missing, unknown or bad field.
    """
    unknown = sorted(set(config) - {"version", "quantize"})
    if unknown:
        raise ConfigError(f"unknown export-job fields {unknown}")
    version = config.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"version must be a version number (an integer >= 1), got {version!r}")
    quantize = config.get("quantize")
    if quantize not in QUANTIZE:
        raise ConfigError(f"quantize must be None or 'int8', got {quantize!r}")
    return {"version": version, "quantize": quantize}


def queue_export(
    session: Session,
    name: str,
    version: int,
    *,
    quantize: str | None = None,
    dataset_id: str | None = None,
    caller: Caller = LOCAL,
) -> FineTuneJob:
    """Queue the export of ``name@version`` as a job (kind ``export``).

    Args:
        session: A database session.
        name: A registered model.
        version: Its version number.
        quantize: None for fp32, ``"int8"`` for dynamic int8.
        dataset_id: A labelled stored dataset to check parity on (int8's metric check).
        caller: Who asks: the job is theirs, and the dataset must be one they see.

    Returns:
        The queued job (``GET /v1/fine-tunes/{id}`` follows it).

    Raises:
        NotFoundError: No such model, version or dataset.
        ConfigError: ``quantize`` is not None or ``"int8"``.

    Example:
        >>> queue_export(session, "ner", 1, quantize="int8")  # doctest: +SKIP
    """
    from open_interpreter.services import jobs, registry

    registry.get_version(session, name, version=version)  # 404 now, not in the worker
    return jobs.create_job(
        session,
        model_name=name,
        config={"version": version, "quantize": quantize},
        test_dataset_id=dataset_id,
        caller=caller,
        kind=KIND,
    )


def run(ctx: JobContext) -> dict[str, Any]:
    """Export the job's version, keep it with the version, return its card."""
    from open_interpreter.services import exports, registry
    from open_interpreter.services.datasets import load_examples
    from open_interpreter.storage import artifacts
    from open_interpreter.storage.tables import Dataset

    job = ctx.job
    version, quantize = job.config["version"], job.config["quantize"]
    precision = quantize or "fp32"
    owner = job.owner_key_id
    caller = Caller(actor=f"job {job.id}", key_id=owner, sees_all=owner is None)
    parity_data, parity_name = None, None
    with ctx.db.session() as session:
        folder = registry.get_version(session, job.model_name, version=version).path
        if job.test_dataset_id is not None:
            dataset = session.get(Dataset, job.test_dataset_id)
            if dataset is None:
                raise NotFoundError("the job's parity dataset was deleted")
            parity_data, parity_name = load_examples(dataset), dataset.name
    artifacts.sweep_leftovers(f"{folder}/{exports.EXPORTS}")  # what a killed attempt left
    sample = f"{len(parity_data)} examples of {parity_name}" if parity_data else "built-in texts"
    ctx.log(f"exporting {job.model_name}@{version} to {precision} ONNX (parity on {sample})")
    ctx.check_cancelled()
    with ctx.db.session() as session:
        stored = exports.export_version(
            session,
            job.model_name,
            version,
            quantize=quantize,
            parity_data=parity_data,
            caller=caller,
        )
    card = stored.to_dict()
    ctx.log(f"kept the {precision} export ({card['size_bytes'] / 1e6:.1f} MB)")
    return {
        "model_name": job.model_name,
        "version": version,
        **card,
        "seconds": stored.card.get("seconds"),
        "parity_dataset": parity_name,
    }


EXPORT_JOB = JobKind(name=KIND, check=check, run=run)
"""Export a registered version to ONNX (``kind="export"``, named in ``job_kinds.KINDS``)."""
