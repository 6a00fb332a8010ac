"""Fine-tune jobs: create, list, cancel, and the queue operations workers use.

``queued`` → ``running`` (claimed) → ``succeeded`` | ``failed`` | ``cancelled``; a running
job whose worker stops heart-beating is queued again (up to :data:`MAX_ATTEMPTS` tries).
Every write to a running job is fenced by the claim's :class:`Lease`, so a worker that lost
its job can never overwrite the job's next run. Functions take a ``Session`` first and
raise library errors, never HTTP ones. See ``docs/jobs.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.serving.registry import MAX_DB_INT, validate_model_name
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset, FineTuneJob, JobEvent, utcnow

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = frozenset({"succeeded", "failed", "cancelled"})
MAX_ATTEMPTS = 3
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what a stored id can look like (``ft_3f9a…``)
# Settings the server decides for a job: where it writes, what it resumes, which files.
_SERVER_SETTINGS = ("output_dir", "resume_from")
_SERVER_DATA = ("train", "validation", "test")


@dataclass(frozen=True)
class Lease:
    """One claim of a job by a worker: what fences that worker's writes to the job.

    Attributes:
        job_id: The job.
        worker_id: The worker that claimed it.
        attempt: The job's ``attempts`` count after this claim.
    """

    job_id: str
    worker_id: str
    attempt: int

    @classmethod
    def of(cls, job: FineTuneJob) -> Lease:
        """The lease of a job as it was just claimed."""
        return cls(job.id, job.worker_id or "", job.attempts)


def create_job(
    session: Session,
    *,
    model_name: str,
    config: dict[str, Any],
    train_dataset_id: str,
    validation_dataset_id: str | None = None,
    test_dataset_id: str | None = None,
) -> FineTuneJob:
    """Queue a fine-tune of stored datasets; the result registers as a version of ``model_name``.

    Args:
        session: A database session.
        model_name: Registry name for the fine-tuned model.
        config: :class:`FineTuneConfig` fields (``model``, ``learning_rate``, ``epochs``...).
        train_dataset_id: The training dataset.
        validation_dataset_id: Scored after every epoch, if given.
        test_dataset_id: Scored once at the end, if given.

    Returns:
        The queued job; its ``config`` is the full validated configuration.

    Raises:
        ConfigError: Invalid ``model_name`` or config, or a setting only the server may set.
        NotFoundError: A dataset id does not exist.

    Example:
        >>> create_job(session, model_name="ner", config={"epochs": 1},
        ...            train_dataset_id="ds_3f9a1c0b7e2d4a61")  # doctest: +SKIP
    """
    validate_model_name(model_name)
    parsed = _job_config(config)
    datasets = {
        "train_dataset_id": train_dataset_id,
        "validation_dataset_id": validation_dataset_id,
        "test_dataset_id": test_dataset_id,
    }
    for field, dataset_id in datasets.items():
        if dataset_id is not None and (
            not _is_id(dataset_id) or session.get(Dataset, dataset_id) is None
        ):
            raise NotFoundError(f"{field}: no dataset with id {dataset_id!r}")
    job = FineTuneJob(
        id=artifacts.new_id("ft"),
        status="queued",
        model_name=model_name,
        config=parsed.model_dump(mode="json"),
        attempts=0,
        cancel_requested=False,
        progress={},
        **datasets,
    )
    session.add(job)
    session.flush()
    session.add(JobEvent(job_id=job.id, type="status", data={"status": "queued"}))
    session.commit()
    return job


def get_job(session: Session, job_id: str) -> FineTuneJob:
    """The job ``job_id``, freshly read.

    Raises:
        NotFoundError: No job has that id.
    """
    job = session.get(FineTuneJob, job_id, populate_existing=True) if _is_id(job_id) else None
    if job is None:
        raise NotFoundError(f"no fine-tune job with id {job_id!r}")
    return job


def list_jobs(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[FineTuneJob], int]:
    """A page of jobs, newest first, and how many there are in all.

    Raises:
        ConfigError: ``status`` is not a job status.
    """
    query = select(FineTuneJob)
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


def cancel_job(session: Session, job_id: str) -> FineTuneJob:
    """Cancel a job: a queued one at once, a running one as soon as its worker sees it.

    Cancelling a running job twice is harmless.

    Returns:
        The job (``cancelled``, or ``running`` with ``cancel_requested``).

    Raises:
        NotFoundError: No such job.
        ConflictError: The job has already finished.
    """
    for _ in range(2):  # a queued job may be claimed between the read and the update
        job = get_job(session, job_id)
        if job.status in FINISHED:
            raise ConflictError(
                f"job {job_id} has already finished ({job.status}); "
                "only queued or running jobs can be cancelled"
            )
        cancelled = {"status": "cancelled", "cancel_requested": True, "finished_at": utcnow()}
        if job.status == "queued" and _set_if(session, job_id, "queued", **cancelled):
            session.add(JobEvent(job_id=job_id, type="status", data={"status": "cancelled"}))
            break
        if job.status == "running" and _set_if(session, job_id, "running", cancel_requested=True):
            session.add(JobEvent(job_id=job_id, type="log", data={"message": "cancel requested"}))
            break
    session.commit()
    return get_job(session, job_id)


def job_events(
    session: Session, job_id: str, *, after_id: int = 0, limit: int = 1000
) -> list[JobEvent]:
    """The job's events with an id above ``after_id``, oldest first.

    Raises:
        NotFoundError: No such job.
    """
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


def claim_job(session: Session, *, worker_id: str) -> FineTuneJob | None:
    """Take the oldest queued job for ``worker_id``, atomically.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent workers each lock a
    different row without waiting. SQLite: one conditional ``UPDATE … WHERE id = (oldest
    queued) AND status = 'queued'``; SQLite runs writes one at a time, and the status
    condition makes a second claimer of the same row update nothing.

    Returns:
        The job, now ``running`` with this worker, its heartbeat and ``attempts + 1``;
        None when nothing is queued (or the database was too busy to say).
    """
    now = utcnow()
    claim = {"status": "running", "worker_id": worker_id, "started_at": now, "heartbeat_at": now}
    claim["attempts"] = FineTuneJob.attempts + 1
    oldest = (
        select(FineTuneJob.id)
        .where(FineTuneJob.status == "queued")
        .order_by(FineTuneJob.created_at, FineTuneJob.id)
        .limit(1)
    )
    try:
        if session.get_bind().dialect.name == "postgresql":
            job_id = session.scalar(oldest.with_for_update(skip_locked=True))
            if job_id is not None:
                _set_if(session, job_id, "queued", **claim)
        else:
            job_id = session.scalar(
                update(FineTuneJob)
                .where(FineTuneJob.id == oldest.scalar_subquery(), FineTuneJob.status == "queued")
                .values(**claim)
                .returning(FineTuneJob.id)
                .execution_options(synchronize_session=False)
            )
    except OperationalError:
        session.rollback()
        return None
    if job_id is None:
        session.rollback()
        return None
    job = get_job(session, job_id)
    status = {"status": "running", "worker_id": worker_id, "attempt": job.attempts}
    session.add(JobEvent(job_id=job_id, type="status", data=status))
    session.commit()
    return job


def heartbeat(session: Session, lease: Lease) -> FineTuneJob | None:
    """Mark the leased job alive now.

    Returns:
        The job (read ``cancel_requested`` on it), or None when the job is no longer
        running under this lease: the worker must stop its run.
    """
    ours = _set_if(session, lease.job_id, "running", lease=lease, heartbeat_at=utcnow())
    session.commit()
    return get_job(session, lease.job_id) if ours else None


def record_event(
    session: Session,
    lease: Lease,
    type: str,
    data: dict[str, Any],
    *,
    progress: dict[str, Any] | None = None,
) -> bool:
    """Record an event of the leased run (and its progress), if the lease still holds.

    Returns:
        False when the job is no longer running under ``lease`` (nothing was written).
    """
    if progress is not None:
        ours = _set_if(session, lease.job_id, "running", lease=lease, progress=progress)
    else:
        ours = lease_holds(session, lease)
    if ours:
        session.add(JobEvent(job_id=lease.job_id, type=type, data=data))
    session.commit()
    return ours


def finish_job(
    session: Session,
    lease: Lease,
    *,
    status: str,
    error: str | None = None,
    model_version_id: int | None = None,
    commit: bool = True,
) -> bool:
    """End the leased run as ``succeeded``, ``failed`` or ``cancelled``.

    Args:
        session: A database session.
        lease: The run's lease; nothing changes unless it still holds.
        status: The final status.
        error: What went wrong (failed) or why it stopped.
        model_version_id: The registered version (succeeded).
        commit: Commit now; False lets the caller commit it with other changes.

    Returns:
        Whether the lease held and the job was finished.
    """
    if status not in FINISHED:
        raise ValueError(f"finish_job needs a final status, got {status=}")
    end = {"status": status, "error": error, "model_version_id": model_version_id}
    ours = _set_if(session, lease.job_id, "running", lease=lease, finished_at=utcnow(), **end)
    if ours:
        data = {"status": status, **({"error": error} if error else {})}
        session.add(JobEvent(job_id=lease.job_id, type="status", data=data))
    if commit:
        session.commit()
    return ours


def release_job(session: Session, lease: Lease, *, reason: str) -> bool:
    """Put the leased job back in the queue without using up an attempt (worker shutdown).

    Returns:
        Whether the lease held and the job was requeued.
    """
    back = {"status": "queued", "worker_id": None, "heartbeat_at": None}
    ours = _set_if(
        session, lease.job_id, "running", lease=lease, attempts=FineTuneJob.attempts - 1, **back
    )
    if ours:
        data = {"status": "queued", "reason": reason}
        session.add(JobEvent(job_id=lease.job_id, type="status", data=data))
    session.commit()
    return ours


def requeue_stale_jobs(
    session: Session, *, stale_after_s: float, max_attempts: int = MAX_ATTEMPTS
) -> list[str]:
    """Put running jobs whose worker stopped heart-beating back in the queue.

    Their run directory is kept, so the next run resumes from the last checkpoint. A job
    already tried ``max_attempts`` times fails instead; one whose cancel was requested is
    cancelled.

    Returns:
        The ids of the jobs put back in the queue.
    """
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    stale_condition = or_(FineTuneJob.heartbeat_at.is_(None), FineTuneJob.heartbeat_at < cutoff)
    stale = session.scalars(
        select(FineTuneJob).where(FineTuneJob.status == "running", stale_condition)
    ).all()
    requeued = []
    for job in stale:
        lease, silent = Lease.of(job), f"worker {job.worker_id} stopped responding"
        if job.cancel_requested:
            change = {"status": "cancelled", "error": f"{silent}; cancelled as requested"}
        elif job.attempts >= max_attempts:
            change = {
                "status": "failed",
                "error": f"{silent}; the job was tried {job.attempts} times, giving up",
            }
        else:
            change = {"status": "queued", "worker_id": None, "heartbeat_at": None}
        if change["status"] != "queued":
            change["finished_at"] = utcnow()
        if not _set_if(session, job.id, "running", stale_condition, lease=lease, **change):
            continue  # its worker came back, or another worker handled it first
        data = {"status": change["status"], "reason": change.get("error", silent)}
        session.add(JobEvent(job_id=job.id, type="status", data=data))
        if change["status"] == "queued":
            requeued.append(job.id)
    session.commit()
    return requeued


def lease_holds(session: Session, lease: Lease) -> bool:
    """Whether the job is still running under ``lease``."""
    running = [FineTuneJob.id == lease.job_id, FineTuneJob.status == "running"]
    return bool(session.scalar(select(func.count()).where(*running, *_under(lease))))


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
    if _looks_like_a_path(parsed.model):
        raise ConfigError(
            f"model={parsed.model!r}: a job's base model is a catalogue alias, a model-store "
            "name or a Hub id (org/name), never a path on the server"
        )
    return parsed


def _looks_like_a_path(name: str) -> bool:
    """True for names that would be read as a server path rather than a model name."""
    return (
        name.startswith(("/", "~", "."))
        or "\\" in name
        or ".." in name.split("/")
        or name.count("/") > 1
    )


def _set_if(
    session: Session,
    job_id: str,
    current: str,
    /,
    *conditions: Any,
    lease: Lease | None = None,
    **values: Any,
) -> bool:
    """Update the job only if its status is ``current`` (and it is under ``lease``, and
    ``conditions`` hold); say whether it was."""
    where = [FineTuneJob.id == job_id, FineTuneJob.status == current, *conditions]
    if lease is not None:
        where += _under(lease)
    result = session.execute(
        update(FineTuneJob)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _is_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _bounded(number: int) -> int:
    """``number`` within what every database can bind (a page size, an offset, an id)."""
    return min(max(number, 0), MAX_DB_INT)


def _under(lease: Lease) -> list[Any]:
    return [FineTuneJob.worker_id == lease.worker_id, FineTuneJob.attempts == lease.attempt]
