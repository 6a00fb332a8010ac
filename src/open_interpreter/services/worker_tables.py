"""The workers table (migration ``0015``): every ``oi worker`` (and every worker ``oi serve``
starts inside itself) as it registered, with what it can run and when it was last seen.

A worker writes its own row: on start, every heartbeat interval while it polls or runs a
job, and ``stopped`` when it stops cleanly. ``lost`` is never written: a row whose
``last_seen`` is older than its ``lease_timeout_s`` reads as lost
(:mod:`~open_interpreter.services.workers`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, utcnow


class WorkerRecord(Base):
    """One worker: who it is, what it can give a job, what it does now."""

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_state_last_seen", "state", "last_seen"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # its jobs' worker_id
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    processes: Mapped[int]  # training processes it may start for one job
    gpus: Mapped[int]
    memory_mb: Mapped[int]  # 0: not stated (it takes only jobs that state none)
    # Seconds without a heartbeat after which its jobs are requeued and it reads as lost.
    lease_timeout_s: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(16))  # idle, running or stopped
    job_id: Mapped[str | None] = mapped_column(String(32))  # the job it runs now
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
