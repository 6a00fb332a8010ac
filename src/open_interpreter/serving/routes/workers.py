"""``GET /v1/workers``: the workers sharing this database, what each can run and what it does
now (``admin`` keys only: host names and process ids are the operator's business).

Each worker writes its own row (:mod:`~open_interpreter.services.workers`); a worker not
seen for its lease timeout reads as ``lost``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from open_interpreter.services import workers
from open_interpreter.serving.deps import AdminKey, PageDep, SessionDep

router = APIRouter(prefix="/workers", tags=["workers"])


class WorkerCapacity(BaseModel):
    """What a worker can give one job."""

    processes: int = Field(description="Training processes it may start for one job.")
    gpus: int = Field(description="GPUs it may use.")
    memory_mb: int = Field(description="Memory it may use in MiB; 0: not stated.")


class WorkerPublic(BaseModel):
    """One worker."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Its name in the jobs' worker_id (oi worker --id).")
    host: str
    pid: int
    capacity: WorkerCapacity
    state: str = Field(description=f"One of {', '.join(workers.STATES)}.")
    job_id: str | None = Field(description="The job it runs now.")
    started_at: datetime
    last_seen: datetime = Field(description="Its last heartbeat (UTC).")
    stopped_at: datetime | None
    lease_timeout_s: float = Field(description="Not seen for this long, it reads as lost.")


class WorkersPublic(BaseModel):
    """A page of workers: running, idle, lost, then stopped; newest first within each."""

    data: list[WorkerPublic]
    count: int


State = Annotated[
    str | None, Query(max_length=20, description=f"Only one of {', '.join(workers.STATES)}.")
]


@router.get("")
def list_workers(
    session: SessionDep, _key: AdminKey, page: PageDep, state: State = None
) -> WorkersPublic:
    """The workers, with what each can run, the job it runs and when it was last seen."""
    views, total = workers.list_workers(session, state=state, limit=page.limit, offset=page.offset)
    return WorkersPublic(data=[WorkerPublic.model_validate(v) for v in views], count=total)
