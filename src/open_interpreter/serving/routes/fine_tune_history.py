"""``GET /v1/fine-tunes/{id}/history``: a job's recorded events as one JSON page.

The same events as the SSE stream at ``/events``, for a client that wants what has
happened so far without following the job (charts of finished runs, comparisons).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from open_interpreter.services import jobs
from open_interpreter.serving.deps import SessionDep, TrainCaller
from open_interpreter.serving.problems import Problem

router = APIRouter(prefix="/fine-tunes", tags=["fine-tunes"])

EVENT_TYPES = ("step", "evaluation", "status", "log")


class JobEventPublic(BaseModel):
    """One recorded event of a job."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    data: dict[str, Any]
    created_at: datetime


class JobHistoryPublic(BaseModel):
    """A page of a job's events, oldest first; ask again with ``after=last`` for more."""

    data: list[JobEventPublic]
    last: int
    more: bool


@router.get("/{job_id}/history")
def fine_tune_history(
    job_id: str,
    session: SessionDep,
    caller: TrainCaller,
    after: int = Query(0, ge=0, description="Only events with an id above this."),
    limit: int = Query(5000, ge=1, le=20000, description="Most events to return."),
    types: str | None = Query(None, description="Comma-separated event types, e.g. step,log."),
) -> JobHistoryPublic:
    """The job's events after ``after``, optionally only some types."""
    wanted = _types(types)
    rows = jobs.job_events(session, job_id, after_id=after, limit=limit, caller=caller)
    last = rows[-1].id if rows else after
    kept = [row for row in rows if wanted is None or row.type in wanted]
    return JobHistoryPublic(
        data=[JobEventPublic.model_validate(row) for row in kept],
        last=last,
        more=len(rows) == limit,
    )


def _types(types: str | None) -> set[str] | None:
    if not types:
        return None
    wanted = {t.strip() for t in types.split(",") if t.strip()}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise Problem(
            422, "validation_error", f"types: unknown event type(s) {unknown}; use {EVENT_TYPES}"
        )
    return wanted
