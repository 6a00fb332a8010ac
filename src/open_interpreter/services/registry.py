"""The model registry: named models, numbered versions, and which one is in production.

A version is a saved model directory (``interpreter.save`` / ``oi train`` output) copied
into the artifacts as ``models/<name>/v<N>``, with its metrics and lineage in the
database. Stages:

- ``none``: registered, not in use by default;
- ``production``: at most one version per model, the one predictions use by default;
- ``archived``: was production before another version was promoted.

Each promotion stamps ``promoted_at``; :func:`rollback` goes back to the most recently
promoted earlier version, and forgets the promotion it undoes, so repeated rollbacks walk
back through the history.

Promoting, rolling back and deleting are written to the audit log
(:mod:`~open_interpreter.services.audit`) in the same transaction, naming the caller.

Functions take a ``Session`` first and keyword-only options; they raise library errors
(:class:`NotFoundError`, :class:`ConflictError`, :class:`ConfigError`), never HTTP ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import audit
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import (
    Evaluation,
    FineTuneJob,
    ModelVersion,
    RegisteredModel,
    json_safe,
    utcnow,
)

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_DB_INT = 2**31 - 1  # the largest INTEGER (ids, versions) PostgreSQL stores
STAGES = ("none", "production", "archived")
MANIFEST = "oi_model.json"
RETRIES = 5  # registrations racing for the same version number


def validate_model_name(name: str) -> str:
    """Check a registry name: a letter or digit, then up to 99 of ``A-Za-z0-9._-``.

    Returns:
        ``name`` unchanged.

    Raises:
        ConfigError: The name does not match (it also becomes a directory name).
    """
    if not _is_name(name):
        raise ConfigError(
            f"invalid model name {name!r}: use a letter or digit, then up to 99 letters, "
            "digits, '.', '_' or '-'"
        )
    return name


def register_version(
    session: Session,
    *,
    model_name: str,
    source_dir: Path,
    task: str,
    base_model: str,
    metrics: dict[str, Any],
    lineage: dict[str, Any],
    job_id: str | None = None,
    commit: bool = True,
    caller: Caller | None = None,
    audit_detail: dict[str, Any] | None = None,
) -> ModelVersion:
    """Copy a saved model directory into the registry as the next version of ``model_name``.

    The files are copied to a staging folder first and renamed to ``models/<name>/v<N>``
    once the version row holds its number, so a crash never leaves a version without its
    files. The registered model is created with the first version.

    Args:
        session: A database session.
        model_name: Registry name (see :func:`validate_model_name`).
        source_dir: The saved model directory to copy.
        task: The model's task; every version of a model has the same task.
        base_model: The pretrained model it was fine-tuned from.
        metrics: Headline metrics of the version.
        lineage: How it was made: config, datasets, library versions, job...
        job_id: The fine-tune job that produced it, if any.
        commit: Commit (retrying when a concurrent registration took the same number).
            With False the caller commits, so it can update other rows in the same
            transaction; the caller then also rolls back on failure.
        caller: Who registers it: written to the audit log as ``model.register`` (with
            ``audit_detail``) in the same transaction. None records nothing.
        audit_detail: What the audit event keeps besides the caller.

    Returns:
        The new version (stage ``none``).

    Raises:
        ConfigError: Invalid name, or ``source_dir`` is not a directory.
        ConflictError: The model exists with a different task.
    """
    validate_model_name(model_name)
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ConfigError(f"cannot register {source_dir}: it is not a directory")
    staging = artifacts.copy_to_temporary(source_dir, f"models/{model_name}/staging")
    fields = {
        "base_model": base_model,
        "metrics": json_safe(metrics),
        "lineage": json_safe(lineage),
        "job_id": job_id,
    }
    placed: Path | None = None
    try:
        row = _add_version_retrying(session, model_name, task, fields, retry=commit)
        placed = _move_into_place(staging, artifacts.resolve(row.path))
        artifacts.publish(row.path)  # on the object store, if any, before the row commits
        if caller is not None:
            audit.record(
                session,
                caller=caller,
                action="model.register",
                target=f"{model_name}@{row.version}",
                detail=audit_detail or {},
            )
        if commit:
            session.commit()
        return row
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if placed is not None:
            shutil.rmtree(placed, ignore_errors=True)
        if commit:
            session.rollback()
        raise


def register_directory(
    session: Session,
    *,
    model_name: str,
    path: Path,
    caller: Caller | None = None,
    audit_detail: dict[str, Any] | None = None,
) -> ModelVersion:
    """Register an existing saved model directory as the next version of ``model_name``.

    Its ``oi_model.json`` gives the task and base model; ``metrics.json`` and
    ``training_config.json``, when present, give the metrics and lineage. With a
    ``caller``, the registration is audited as ``model.register`` (``audit_detail``,
    default ``{"source": "directory"}``) in the same transaction.

    Returns:
        The new version.

    Raises:
        ConfigError: ``path`` is not a saved model, or its manifest is unreadable.

    Example:
        >>> register_directory(session, model_name="ner", path=Path("runs/ner"))  # doctest: +SKIP
    """
    path = Path(path)
    manifest = _read_json(path / MANIFEST)
    if manifest is None:
        raise ConfigError(
            f"{path} is not a saved model: it has no {MANIFEST} "
            "(save one with interpreter.save(path) or `oi train`)"
        )
    if not manifest.get("task") or not manifest.get("base_model"):
        raise ConfigError(f"{path / MANIFEST} does not name the model's task and base_model")
    saved_metrics = _read_json(path / "metrics.json") or {}
    lineage = {
        "source": "registered directory",
        "base_model": manifest["base_model"],
        "labels": manifest.get("labels"),
        "data": manifest.get("data"),
        "config": _read_json(path / "training_config.json"),
        "library_versions": manifest.get("versions"),
        "evaluations": saved_metrics.get("evaluations", []),
    }
    return register_version(
        session,
        model_name=model_name,
        source_dir=path,
        task=manifest["task"],
        base_model=manifest["base_model"],
        metrics=version_metrics(saved_metrics),
        lineage=lineage,
        caller=caller,
        audit_detail=audit_detail or {"source": "directory"},
    )


def register_job_run(
    session: Session,
    *,
    model_name: str,
    run_dir: Path,
    job_id: str,
    config: dict[str, Any],
    datasets: dict[str, Any],
    **lineage: Any,
) -> ModelVersion:
    """Register the model a job saved in ``run_dir``, with the lineage every job keeps.

    The lineage holds the job, its config, the ``datasets`` it used (see
    :func:`dataset_lineage`), the base model, labels, library versions and the
    evaluations of its ``metrics.json``, plus any keyword given here (``attempts=``,
    ``study=``, ``monitor_id=``...). The caller commits: the version row and the job's
    own rows change in one transaction.

    Raises:
        IntegrityError, OperationalError: A concurrent registration took the number
            (roll back and try again, as :data:`RETRIES` allows).
    """
    from open_interpreter.bundle import library_versions, read_manifest

    manifest = read_manifest(run_dir)
    saved = _read_json(run_dir / "metrics.json") or {}
    return register_version(
        session,
        model_name=model_name,
        source_dir=run_dir,
        task=manifest["task"],
        base_model=manifest["base_model"],
        metrics=version_metrics(saved),
        lineage={
            "job_id": job_id,
            **lineage,
            "base_model": manifest["base_model"],
            "config": config,
            "datasets": datasets,
            "labels": manifest.get("labels"),
            "library_versions": library_versions(),
            "evaluations": saved.get("evaluations", []),
        },
        job_id=job_id,
        commit=False,
    )


def dataset_lineage(rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a version's lineage keeps of each split's dataset row: id, name, hash, size."""
    return {
        split: {"id": r.id, "name": r.name, "sha256": r.sha256, "num_examples": r.num_examples}
        for split, r in rows.items()
    }


def version_metrics(saved: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of a saved model's ``metrics.json``, per report.

    Args:
        saved: The parsed ``metrics.json`` (``FineTuneResult.to_dict()``).

    Returns:
        ``{"steps": ..., "after": {"accuracy": ..., "macro_f1": ..., "entity_f1": ...}, ...}``.
    """
    out: dict[str, Any] = {
        key: saved[key]
        for key in ("steps", "train_seconds", "samples_per_second", "stopped_early")
        if key in saved
    }
    for split, report in (saved.get("reports") or {}).items():
        numbers = {k: report.get(k) for k in ("accuracy", "macro_f1", "loss")}
        entities = report.get("entities") or {}
        if "micro avg" in entities:
            numbers["entity_f1"] = entities["micro avg"].get("f1")
        out[split] = {k: v for k, v in numbers.items() if v is not None}
    return out


def list_models(session: Session) -> list[RegisteredModel]:
    """Every registered model, by name."""
    return list(session.scalars(select(RegisteredModel).order_by(RegisteredModel.name)))


def get_model(session: Session, name: str) -> RegisteredModel:
    """The registered model ``name``.

    Raises:
        NotFoundError: No model has that name.
    """
    model = session.get(RegisteredModel, name) if _is_name(name) else None
    if model is None:
        raise NotFoundError(f"no registered model named {name!r}")
    return model


def list_versions(session: Session, name: str) -> list[ModelVersion]:
    """Every version of ``name``, oldest first.

    Raises:
        NotFoundError: No model has that name.
    """
    rows = list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.model_name == name)
            .order_by(ModelVersion.version)
        )
    )
    if not rows:
        get_model(session, name)
    return rows


def get_version(
    session: Session, name: str, version: int | None = None, stage: str | None = None
) -> ModelVersion:
    """One version of ``name``: by number, by stage, or by default the production version
    (the latest version when none is in production).

    Raises:
        NotFoundError: No such model, or it has no such version / no version in ``stage``.
        ConfigError: ``stage`` is not one of ``none``, ``production``, ``archived``.
    """
    get_model(session, name)
    query = select(ModelVersion).where(ModelVersion.model_name == name)
    if version is not None:
        missing = f"model {name!r} has no version {version}"
        if not 0 < version <= MAX_DB_INT:
            raise NotFoundError(missing)
        query = query.where(ModelVersion.version == version)
    elif stage is not None:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; use one of {list(STAGES)}")
        query = query.where(ModelVersion.stage == stage).order_by(ModelVersion.version.desc())
        missing = f"model {name!r} has no version in stage {stage!r}"
    else:
        in_production = case((ModelVersion.stage == "production", 0), else_=1)
        query = query.order_by(in_production, ModelVersion.version.desc())
        missing = f"model {name!r} has no versions"
    row = session.scalars(query.limit(1)).first()
    if row is None:
        raise NotFoundError(missing)
    return row


def promote(session: Session, name: str, version: int, *, caller: Caller = LOCAL) -> ModelVersion:
    """Put ``version`` in production; the previous production version becomes archived.

    Promoting the production version again changes nothing (and is audited all the same).
    ``caller`` is who promotes, for the audit log (``model.promote``, target ``name@version``).

    Returns:
        The promoted version.

    Raises:
        NotFoundError: No such model or version.
    """
    _lock_model(session, name)
    target = get_version(session, name, version=version)
    detail: dict[str, Any] = {"from_stage": target.stage, "archived": None}
    if target.stage != "production":
        current = _production(session, name)
        if current is not None:
            current.stage = "archived"
            detail["archived"] = current.version
        target.stage = "production"
        target.promoted_at = utcnow()
    audit.record(
        session, caller=caller, action="model.promote", target=f"{name}@{version}", detail=detail
    )
    session.commit()
    return target


def rollback(session: Session, name: str, *, caller: Caller = LOCAL) -> ModelVersion:
    """Put the previous production version back in production.

    The version rolled back from is archived and loses its place in the promotion
    history, so a second rollback goes one step further back. ``caller`` is who rolls
    back, for the audit log (``model.rollback``, target ``name@restored version``).

    Returns:
        The version now in production.

    Raises:
        NotFoundError: No such model.
        ConflictError: No version is in production, or none was before it.
    """
    _lock_model(session, name)
    current = _production(session, name)
    if current is None:
        raise ConflictError(f"model {name!r} has no production version to roll back")
    previous = session.scalars(
        select(ModelVersion)
        .where(
            ModelVersion.model_name == name,
            ModelVersion.id != current.id,
            ModelVersion.promoted_at.is_not(None),
        )
        .order_by(ModelVersion.promoted_at.desc(), ModelVersion.version.desc())
        .limit(1)
    ).first()
    if previous is None:
        raise ConflictError(
            f"model {name!r} has no earlier production version to roll back to "
            f"(no promotion before version {current.version}'s is recorded)"
        )
    current.stage, current.promoted_at = "archived", None
    previous.stage = "production"
    audit.record(
        session,
        caller=caller,
        action="model.rollback",
        target=f"{name}@{previous.version}",
        detail={"archived": current.version},
    )
    session.commit()
    return previous


def delete_model(session: Session, name: str, *, caller: Caller = LOCAL) -> None:
    """Delete a registered model, all its versions, their files and their stored evaluations.

    Jobs that produced its versions are kept; they no longer point at a version.
    ``caller`` is who deletes it, for the audit log (``model.delete``, target ``name``).

    Raises:
        NotFoundError: No such model.
    """
    model = _lock_model(session, name)
    versions = session.scalars(
        select(ModelVersion.version)
        .where(ModelVersion.model_name == name)
        .order_by(ModelVersion.version)
    )
    detail = {"task": model.task, "versions": list(versions)}
    audit.record(session, caller=caller, action="model.delete", target=name, detail=detail)
    ids = select(ModelVersion.id).where(ModelVersion.model_name == name)
    session.execute(
        update(FineTuneJob)
        .where(FineTuneJob.model_version_id.in_(ids))
        .values(model_version_id=None)
        .execution_options(synchronize_session=False)
    )
    for table in (Evaluation, ModelVersion):
        session.execute(
            delete(table)
            .where(table.model_name == name)
            .execution_options(synchronize_session=False)
        )
    session.delete(model)
    session.commit()
    artifacts.remove(f"models/{name}")


def _add_version_retrying(
    session: Session, name: str, task: str, fields: dict[str, Any], *, retry: bool
) -> ModelVersion:
    """Insert the next version row, retrying when a concurrent registration won the number."""
    for attempt in range(1, RETRIES + 1):
        try:
            return _add_version(session, name, task, fields)
        except (IntegrityError, OperationalError):
            if not retry or attempt == RETRIES:
                raise
            session.rollback()
    raise AssertionError("unreachable")


def _add_version(session: Session, name: str, task: str, fields: dict[str, Any]) -> ModelVersion:
    model = session.get(RegisteredModel, name)
    if model is None:
        session.add(RegisteredModel(name=name, task=task))
        session.flush()
    elif model.task != task:
        raise ConflictError(
            f"model {name!r} holds {model.task} versions; cannot add a {task} version"
        )
    latest = session.scalar(
        select(func.max(ModelVersion.version)).where(ModelVersion.model_name == name)
    )
    number = (latest or 0) + 1
    row = ModelVersion(
        model_name=name, version=number, stage="none", path=f"models/{name}/v{number}", **fields
    )
    session.add(row)
    session.flush()  # the unique (model_name, version) is checked here, before files move
    return row


def _move_into_place(staging: Path, final: Path) -> Path:
    """Rename the staged copy to the version's directory (replacing a crashed attempt's)."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return final


def _lock_model(session: Session, name: str) -> RegisteredModel:
    """The model row, locked for this transaction on PostgreSQL (SQLite serialises writers)."""
    model = (
        session.scalars(
            select(RegisteredModel).where(RegisteredModel.name == name).with_for_update()
        ).first()
        if _is_name(name)
        else None
    )
    if model is None:
        raise NotFoundError(f"no registered model named {name!r}")
    return model


def _is_name(name: object) -> bool:
    """Whether ``name`` could be a registered model's (else it names none: no query needed)."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def _production(session: Session, name: str) -> ModelVersion | None:
    return session.scalars(
        select(ModelVersion).where(
            ModelVersion.model_name == name, ModelVersion.stage == "production"
        )
    ).first()


def _read_json(file: Path) -> Any:
    """A JSON file's content, or None when it is missing.

    Raises:
        ConfigError: The file exists but is not JSON.
    """
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from None
