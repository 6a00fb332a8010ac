"""Fine-tune job records: create, list, get and cancel jobs, and read their events.

``queued`` → ``running`` (claimed) → ``succeeded`` | ``failed`` | ``cancelled``. What a
worker does to a job between claiming and finishing it (under a lease) is in
:mod:`~open_interpreter.services.job_queue`. Functions take a ``Session`` first and raise
library errors, never HTTP ones. See ``docs/jobs.md``.

A job belongs to the key that queued it: given a ``caller`` that is not an admin key, every
function here acts on that key's jobs and datasets only, and another key's job or dataset
is not found (:mod:`~open_interpreter.services.callers`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.capacity import job_needs
from open_interpreter.services.job_kinds import FINE_TUNE, job_kind
from open_interpreter.services.names import MODEL_PATTERN, looks_like_a_path
from open_interpreter.services.registry import MAX_DB_INT, validate_model_name
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset, FineTuneJob, JobEvent, utcnow

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = frozenset({"succeeded", "failed", "cancelled"})
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what a stored id can look like (``ft_3f9a…``)
# Settings the server decides for a job: where it writes, what it resumes, which files.
_SERVER_SETTINGS = ("output_dir", "resume_from")
_SERVER_DATA = ("train", "validation", "test")


def create_job(
    session: Session,
    *,
    model_name: str,
    config: dict[str, Any],
    train_dataset_id: str | None = None,
    validation_dataset_id: str | None = None,
    test_dataset_id: str | None = None,
    allow_remote_code: bool = False,
    caller: Caller = LOCAL,
    kind: str = FINE_TUNE,
    resources: dict[str, Any] | None = None,
    commit: bool = True,
) -> FineTuneJob:
    """Queue a fine-tune of stored datasets; the result registers as a version of ``model_name``.

    A job of another ``kind`` (:mod:`~open_interpreter.services.job_kinds`: a continued
    training, a recommender) goes through the same queue; its config is checked by that
    kind, and it needs a training dataset only if the kind does.

    Args:
        session: A database session.
        model_name: Registry name for the fine-tuned model.
        config: :class:`FineTuneConfig` fields (``model``, ``learning_rate``, ``epochs``...).
        train_dataset_id: The training dataset (required for a fine-tune).
        validation_dataset_id: Scored after every epoch, if given.
        test_dataset_id: Scored once at the end, if given.
        allow_remote_code: Whether a job may set ``trust_remote_code`` (the server's
            ``allow_remote_code`` setting; off by default: the worker would run the
            model repository's own code).
        caller: Who queues it: the job belongs to its key, and uses only datasets it sees.
        kind: ``fine_tune``, or another kind named in ``job_kinds.KINDS``.
        resources: What a worker needs to run it, ``{"processes": N, "gpus": K,
            "memory_gb": M}`` (default: from the config's ``distributed`` block); only a
            worker with as much claims it (:mod:`~open_interpreter.services.capacity`).
        commit: Commit now; False lets the caller commit it with other rows (a study's
            trial), so no worker can claim the job before they exist.

    Returns:
        The queued job; its ``config`` is the full validated configuration.

    Raises:
        ConfigError: Invalid ``model_name`` or config, or a setting only the server may set.
        NotFoundError: A dataset id does not exist (or belongs to another key).

    Example:
        >>> create_job(session, model_name="ner", config={"epochs": 1},
        ...            train_dataset_id="ds_3f9a1c0b7e2d4a61")  # doctest: +SKIP
    """
    validate_model_name(model_name)
    if kind == FINE_TUNE:
        if train_dataset_id is None:
            raise ConfigError("a fine-tune job needs a training dataset (train_dataset_id)")
        parsed = _job_config(config)
        if parsed.trust_remote_code and not allow_remote_code:
            raise ConfigError(
                "trust_remote_code=true would run the model repository's own code on the "
                "server; this server does not allow it (setting OI_ALLOW_REMOTE_CODE)"
            )
        needs = job_needs(parsed, resources)
        checked = parsed.updated(distributed={"processes": needs["needs_processes"]})
        checked = checked.model_dump(mode="json")
    else:
        if not isinstance(config, dict):
            raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
        checked = job_kind(kind).check(config)
        needs = job_needs(None, resources)
    datasets = {
        "train_dataset_id": train_dataset_id,
        "validation_dataset_id": validation_dataset_id,
        "test_dataset_id": test_dataset_id,
    }
    for field, dataset_id in datasets.items():
        if dataset_id is not None and not _sees_dataset(session, dataset_id, caller):
            raise NotFoundError(f"{field}: no dataset with id {dataset_id!r}")
    job = FineTuneJob(
        id=artifacts.new_id("ft"),
        status="queued",
        model_name=model_name,
        config=checked,
        kind=kind,
        attempts=0,
        cancel_requested=False,
        progress={},
        owner_key_id=caller.key_id,
        **datasets,
        **needs,
    )
    session.add(job)
    session.flush()
    session.add(JobEvent(job_id=job.id, type="status", data={"status": "queued"}))
    if commit:
        session.commit()
    return job


def get_job(session: Session, job_id: str, *, caller: Caller = LOCAL) -> FineTuneJob:
    """The job ``job_id``, freshly read.

    Raises:
        NotFoundError: No job has that id, or ``caller`` may not see it.
    """
    job = session.get(FineTuneJob, job_id, populate_existing=True) if _is_id(job_id) else None
    if job is None or not caller.may_see(job.owner_key_id):
        raise NotFoundError(f"no fine-tune job with id {job_id!r}")
    return job


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    caller: Caller = LOCAL,
) -> tuple[list[FineTuneJob], int]:
    """A page of the jobs ``caller`` sees, newest first, and how many there are in all.

    Raises:
        ConfigError: ``status`` is not a job status.
    """
    query = caller.owned(select(FineTuneJob), FineTuneJob.owner_key_id)
    if status is not None:
        if status not in STATUSES:
            raise ConfigError(f"unknown job status {status!r}; use one of {list(STATUSES)}")
        query = query.where(FineTuneJob.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(FineTuneJob.created_at.desc(), FineTuneJob.id.desc())
        .limit(_bounded(limit))
        .offset(_bounded(offset))
    )
    return list(rows), total


def running_jobs(session: Session, *, caller: Caller = LOCAL) -> list[FineTuneJob]:
    """The running jobs ``caller`` sees, in the order they started."""
    query = select(FineTuneJob).where(FineTuneJob.status == "running")
    return list(
        session.scalars(
            caller.owned(query, FineTuneJob.owner_key_id).order_by(FineTuneJob.started_at)
        )
    )


def cancel_job(session: Session, job_id: str, *, caller: Caller = LOCAL) -> FineTuneJob:
    """Cancel a job: a queued one at once, a running one as soon as its worker sees it.

    Cancelling a running job twice is harmless.

    Returns:
        The job (``cancelled``, or ``running`` with ``cancel_requested``).

    Raises:
        NotFoundError: No such job (or not one ``caller`` sees).
        ConflictError: The job has already finished.
    """
    for _ in range(2):  # a queued job may be claimed between the read and the update
        job = get_job(session, job_id, caller=caller)
        if job.status in FINISHED:
            raise ConflictError(
                f"job {job_id} has already finished ({job.status}); "
                "only queued or running jobs can be cancelled"
            )
        cancelled = {"status": "cancelled", "cancel_requested": True, "finished_at": utcnow()}
        if job.status == "queued" and update_if(session, job_id, "queued", **cancelled):
            session.add(JobEvent(job_id=job_id, type="status", data={"status": "cancelled"}))
            break
        if job.status == "running" and update_if(session, job_id, "running", cancel_requested=True):
            session.add(JobEvent(job_id=job_id, type="log", data={"message": "cancel requested"}))
            break
    session.commit()
    return get_job(session, job_id)


def job_events(
    session: Session, job_id: str, *, after_id: int = 0, limit: int = 1000, caller: Caller = LOCAL
) -> list[JobEvent]:
    """The job's events with an id above ``after_id``, oldest first.

    Raises:
        NotFoundError: No such job (or not one ``caller`` sees).
    """
    if not caller.sees_all:
        get_job(session, job_id, caller=caller)
    query = select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.id > _bounded(after_id))
    rows = list(session.scalars(query.order_by(JobEvent.id).limit(_bounded(limit))))
    if not rows:
        get_job(session, job_id)
    return rows


def add_event(session: Session, job_id: str, type: str, data: dict[str, Any]) -> JobEvent:
    """Record an event (``step``, ``evaluation``, ``status`` or ``log``) and commit."""
    event = JobEvent(job_id=job_id, type=type, data=data)
    session.add(event)
    session.commit()
    return event


def update_if(
    session: Session, job_id: str, current: str, /, *conditions: Any, **values: Any
) -> bool:
    """Update the job only if its status is ``current`` (and ``conditions`` hold); say
    whether it was. The queue's writes, fenced by a lease, build on it.
    """
    where = [FineTuneJob.id == job_id, FineTuneJob.status == current, *conditions]
    result = session.execute(
        update(FineTuneJob)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _job_config(config: dict[str, Any]) -> FineTuneConfig:
    """Validate a job's config; refuse settings that name files or folders on the server."""
    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping of settings, got {type(config).__name__}")
    parsed = FineTuneConfig.build(config)
    chosen = [key for key in _SERVER_SETTINGS if getattr(parsed, key) is not None]
    chosen += [f"data.{key}" for key in _SERVER_DATA if getattr(parsed.data, key) is not None]
    if chosen:
        raise ConfigError(
            f"{', '.join(chosen)} cannot be set for a job: the server chooses where a job "
            "writes and resumes, and its data comes from the dataset ids"
        )
    if looks_like_a_path(parsed.model) or not re.fullmatch(MODEL_PATTERN, parsed.model):
        raise ConfigError(
            f"model={parsed.model[:200]!r}: a job's base model is a catalogue alias, a "
            "model-store name or a Hub id (org/name), never a path on the server"
        )
    return parsed


def _sees_dataset(session: Session, dataset_id: str, caller: Caller) -> bool:
    dataset = session.get(Dataset, dataset_id) if _is_id(dataset_id) else None
    return dataset is not None and caller.may_see(dataset.owner_key_id)


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _bounded(number: int) -> int:
    """``number`` within what every database can bind (a page size, an offset, an id)."""
    return min(max(number, 0), MAX_DB_INT)
