"""The workers table: who is running jobs, what each can run, and whether it is still there.

A :class:`~open_interpreter.services.worker.Worker` keeps its own row through a
:class:`WorkerPresence`: it registers on start, refreshes ``last_seen`` once per heartbeat
interval from the loop it already has (polling for jobs, or heart-beating the job it
runs), names the job it runs, and marks itself ``stopped`` when it stops cleanly. A
worker killed or cut off stops writing: once its ``last_seen`` is older than its lease
timeout (``oi worker --stale-after``, after which its job is requeued too) it reads as
``lost``. Rows not seen for :data:`FORGET_AFTER` are deleted when a worker registers.

Functions take a ``Session`` first and raise library errors, never HTTP ones. See
``docs/scale-out.md``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.worker_tables import WorkerRecord
from open_interpreter.storage import Database
from open_interpreter.storage.tables import utcnow
from open_interpreter.wording import plural

logger = logging.getLogger(__name__)

STATES = ("running", "idle", "lost", "stopped")
"""What a worker is doing, as listed: ``lost`` is a live state not refreshed in time."""
FORGET_AFTER = timedelta(days=7)
"""Rows of workers not seen for this long are deleted (each ``oi worker`` is a new row)."""


@dataclass(frozen=True)
class WorkerView:
    """A worker as listed: its row, with ``state`` read against the clock.

    Attributes:
        id: Its name in job rows (``oi worker --id``; default host, pid and a random part).
        host: The machine it runs on.
        pid: Its process id there.
        capacity: ``{"processes", "gpus", "memory_mb"}`` it advertises.
        state: ``running``, ``idle``, ``lost`` (not seen for ``lease_timeout_s``) or
            ``stopped``.
        job_id: The job it runs now (None when idle, stopped or lost between jobs).
        started_at: When it registered (UTC).
        last_seen: Its last heartbeat (UTC).
        stopped_at: When it stopped cleanly (UTC), else None.
        lease_timeout_s: Seconds without a heartbeat after which it reads as lost.
    """

    id: str
    host: str
    pid: int
    capacity: dict[str, int]
    state: str
    job_id: str | None
    started_at: datetime
    last_seen: datetime
    stopped_at: datetime | None
    lease_timeout_s: float

    @classmethod
    def of(cls, row: WorkerRecord, now: datetime) -> WorkerView:
        """The view of ``row`` at ``now``."""
        stale = now - row.last_seen > timedelta(seconds=row.lease_timeout_s)
        state = "lost" if row.state != "stopped" and stale else row.state
        return cls(
            id=row.id,
            host=row.host,
            pid=row.pid,
            capacity={"processes": row.processes, "gpus": row.gpus, "memory_mb": row.memory_mb},
            state=state,
            job_id=row.job_id,
            started_at=row.started_at,
            last_seen=row.last_seen,
            stopped_at=row.stopped_at,
            lease_timeout_s=row.lease_timeout_s,
        )


def register_worker(
    session: Session,
    *,
    worker_id: str,
    capacity: Capacity,
    lease_timeout_s: float,
    host: str | None = None,
    pid: int | None = None,
) -> WorkerRecord:
    """Record a worker starting (again, under the same id: its row starts over), and delete
    the rows of workers not seen for :data:`FORGET_AFTER`.

    Args:
        session: A database session.
        worker_id: Its name in job rows (at most 100 characters).
        capacity: What it can give a job.
        lease_timeout_s: Seconds without a heartbeat after which it reads as lost.
        host: Its machine (default: this one's name).
        pid: Its process id (default: this process's).

    Returns:
        Its row, ``idle``.

    Example:
        >>> register_worker(session, worker_id="gpu-1", capacity=Capacity(gpus=4),
        ...                 lease_timeout_s=15.0)  # doctest: +SKIP
    """
    now = utcnow()
    session.execute(delete(WorkerRecord).where(WorkerRecord.last_seen < now - FORGET_AFTER))
    row = session.get(WorkerRecord, worker_id) or WorkerRecord(id=worker_id)
    row.host = (host or socket.gethostname())[:255]
    row.pid = os.getpid() if pid is None else pid
    row.processes, row.gpus = capacity.processes, capacity.gpus
    row.memory_mb = capacity.memory_mb
    row.lease_timeout_s = float(lease_timeout_s)
    row.state, row.job_id = "idle", None
    row.started_at = row.last_seen = now
    row.stopped_at = None
    session.add(row)
    session.commit()
    return row


def see_worker(session: Session, worker_id: str, *, job_id: str | None) -> bool:
    """Refresh a worker's ``last_seen`` and say which job it runs (None: idle).

    Returns:
        False when it has no row (deleted, or never registered): register it again.
    """
    state = "running" if job_id is not None else "idle"
    changed = session.execute(
        update(WorkerRecord)
        .where(WorkerRecord.id == worker_id)
        .values(last_seen=utcnow(), job_id=job_id, state=state, stopped_at=None)
    )
    session.commit()
    return bool(changed.rowcount)


def stop_worker(session: Session, worker_id: str) -> None:
    """Mark a worker ``stopped`` (it stopped cleanly; no job is running on it)."""
    now = utcnow()
    session.execute(
        update(WorkerRecord)
        .where(WorkerRecord.id == worker_id)
        .values(state="stopped", job_id=None, last_seen=now, stopped_at=now)
    )
    session.commit()


def list_workers(
    session: Session, *, state: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[WorkerView], int]:
    """A page of workers and how many there are in all: running, idle, lost, then stopped;
    newest first within each.

    The states are read against the clock, so the rows are filtered here, not in SQL:
    the table holds at most a week of workers (:data:`FORGET_AFTER`).

    Raises:
        ConfigError: ``state`` is not one of :data:`STATES`.
    """
    if state is not None and state not in STATES:
        raise ConfigError(f"unknown worker state {state!r}; use one of {list(STATES)}")
    now = utcnow()
    rows = session.scalars(
        select(WorkerRecord).order_by(WorkerRecord.started_at.desc(), WorkerRecord.id)
    )
    views = [WorkerView.of(row, now) for row in rows]
    if state is not None:
        views = [view for view in views if view.state == state]
    views.sort(key=lambda view: STATES.index(view.state))  # stable: newest first within
    return views[offset : offset + limit], len(views)


def fits(capacity: dict[str, int], needs: dict[str, int]) -> bool:
    """Whether a worker of ``capacity`` would claim a job of ``needs`` (the ``needs_*``
    columns): the test :meth:`Capacity.conditions` makes in SQL, in Python."""
    memory = needs["needs_memory_mb"]
    return (
        needs["needs_processes"] <= capacity["processes"]
        and needs["needs_gpus"] <= capacity["gpus"]
        and (memory <= capacity["memory_mb"] if capacity["memory_mb"] else memory == 0)
    )


def unfit_warning(session: Session, needs: dict[str, int]) -> str | None:
    """Why no live worker (running or idle) could claim a job of ``needs`` now, or None when
    one could. The job stays queued either way: a worker that fits may start later."""
    live = [view for view in list_workers(session, limit=10_000)[0] if view.state in STATES[:2]]
    if any(fits(view.capacity, needs) for view in live):
        return None
    asked = _amount(needs["needs_processes"], needs["needs_gpus"], needs["needs_memory_mb"])
    if not live:
        return f"no worker is running now; the job ({asked}) waits until one that fits starts"
    biggest = max(live, key=lambda v: (v.capacity["gpus"], v.capacity["processes"]))
    has = biggest.capacity
    return (
        f"no running worker can take this job ({asked}) now: the largest has "
        f"{_amount(has['processes'], has['gpus'], has['memory_mb'])}; it waits until a "
        "worker that fits starts (oi worker --processes/--gpus/--memory-gb)"
    )


def _amount(processes: int, gpus: int, memory_mb: int) -> str:
    memory = f"{memory_mb / 1024:g} GB memory" if memory_mb else "no stated memory"
    return f"{plural(processes, 'process', 'processes')}, {plural(gpus, 'GPU')}, {memory}"


class WorkerPresence:
    """A worker's own row, kept from its loop; a database error never stops the worker.

    Args:
        database: The worker's database (called when first needed: opened lazily).
        worker_id: Its name.
        capacity: What it advertises.
        lease_timeout_s: Its ``stale_after``.
        every_s: Seconds between two refreshes of ``last_seen`` when nothing changed.
    """

    def __init__(
        self,
        database: Callable[[], Database],
        *,
        worker_id: str,
        capacity: Capacity,
        lease_timeout_s: float,
        every_s: float,
    ):
        self._database = database
        self.worker_id = worker_id
        self.capacity = capacity
        self.lease_timeout_s = lease_timeout_s
        self.every_s = every_s
        self._registered = False
        self._job_id: str | None = None
        self._next = 0.0

    def beat(self, job_id: str | None = None) -> None:
        """Say the worker is alive and runs ``job_id`` (None: idle); written at once when
        the job changed, else at most once per ``every_s``."""
        if job_id == self._job_id and time.monotonic() < self._next:
            return
        self._job_id, self._next = job_id, time.monotonic() + self.every_s
        self._write(lambda session: self._beat(session, job_id))

    def stop(self) -> None:
        """Mark the worker stopped (only if it registered)."""
        if self._registered:
            self._write(lambda session: stop_worker(session, self.worker_id))
            self._registered, self._job_id, self._next = False, None, 0.0

    def _beat(self, session: Session, job_id: str | None) -> None:
        if not (self._registered and see_worker(session, self.worker_id, job_id=job_id)):
            register_worker(
                session,
                worker_id=self.worker_id,
                capacity=self.capacity,
                lease_timeout_s=self.lease_timeout_s,
            )
            self._registered = True
            if job_id is not None:
                see_worker(session, self.worker_id, job_id=job_id)

    def _write(self, change: Callable[[Session], Any]) -> None:
        try:
            with self._database().session() as session:
                change(session)
        except Exception as error:  # the jobs' own heartbeats say what matters; retry later
            logger.warning("worker %s: its workers row was not written (%s)", self.worker_id, error)
