"""The queue protocol of fine-tune jobs: what workers do to the jobs they run.

A worker claims the oldest queued job (:func:`claim_job`), which gives it a :class:`Lease`;
it heartbeats the job, records its events and progress, and finishes or releases it. A
running job whose worker stops heart-beating is queued again (:func:`requeue_stale_jobs`,
up to :data:`MAX_ATTEMPTS` tries). Every write to a running job is fenced by the claim's
lease, so a worker that lost its job can never overwrite the job's next run. Functions
take a ``Session`` first. See ``docs/jobs.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from open_interpreter.services import jobs
from open_interpreter.services.capacity import Capacity
from open_interpreter.storage.tables import FineTuneJob, JobEvent, utcnow

MAX_ATTEMPTS = 3


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


def claim_job(
    session: Session, *, worker_id: str, capacity: Capacity | None = None
) -> FineTuneJob | None:
    """Take the oldest queued job for ``worker_id`` that fits its ``capacity``, atomically.

    ``capacity`` (default: one process, no GPU, no stated memory) leaves queued the jobs
    that need more processes, GPUs or memory than the worker has, for another worker.

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
        .where(FineTuneJob.status == "queued", *(capacity or Capacity()).conditions())
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
    job = jobs.get_job(session, job_id)
    status = {"status": "running", "worker_id": worker_id, "attempt": job.attempts}
    if capacity is not None:
        status["worker_capacity"] = capacity.to_dict()
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
    return jobs.get_job(session, lease.job_id) if ours else None


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
    result: dict[str, Any] | None = None,
    commit: bool = True,
) -> bool:
    """End the leased run as ``succeeded``, ``failed`` or ``cancelled``.

    Args:
        session: A database session.
        lease: The run's lease; nothing changes unless it still holds.
        status: The final status.
        error: What went wrong (failed) or why it stopped.
        model_version_id: The registered version (succeeded).
        result: What a job of another kind than a fine-tune returned (succeeded).
        commit: Commit now; False lets the caller commit it with other changes.

    Returns:
        Whether the lease held and the job was finished.
    """
    if status not in jobs.FINISHED:
        raise ValueError(f"finish_job needs a final status, got {status=}")
    end = {"status": status, "error": error, "model_version_id": model_version_id}
    if result is not None:
        end["result"] = result
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
        select(FineTuneJob).where(
            FineTuneJob.status == "running", FineTuneJob.source == "server", stale_condition
        )
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


def _set_if(
    session: Session,
    job_id: str,
    current: str,
    /,
    *conditions: Any,
    lease: Lease | None = None,
    **values: Any,
) -> bool:
    """:func:`~open_interpreter.services.jobs.update_if`, also only while the job is under
    ``lease``."""
    fence = _under(lease) if lease is not None else []
    return jobs.update_if(session, job_id, current, *conditions, *fence, **values)


def _under(lease: Lease) -> list[Any]:
    return [FineTuneJob.worker_id == lease.worker_id, FineTuneJob.attempts == lease.attempt]
