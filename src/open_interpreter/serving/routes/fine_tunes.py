"""``/v1/fine-tunes``: create a job, list, get, cancel, and follow its events over SSE.

A job belongs to the key that queued it; a key below ``admin`` sees and uses only its own
jobs and datasets (another key's answer 404).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from open_interpreter.services import jobs, runs, workers
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainCaller
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import (
    FineTuneCreate,
    FineTuneCreated,
    FineTunePublic,
    FineTunesPublic,
)

router = APIRouter(prefix="/fine-tunes", tags=["fine-tunes"])

FINISHED = {"succeeded", "failed", "cancelled"}
EVENT_ID = re.compile(r"[0-9]{1,18}")
"""An SSE id as this stream writes it: ASCII digits only (``str.isdigit`` also takes ``²``)."""


@router.post("", status_code=201)
def create_fine_tune(
    body: FineTuneCreate, state: StateDep, session: SessionDep, caller: TrainCaller
) -> FineTuneCreated:
    """Queue a fine-tune; ``config`` takes the same settings as ``oi train``'s YAML
    (``trust_remote_code`` only where the server allows it), ``resources`` what a worker
    needs to claim it. A job no running worker fits is queued all the same, with a warning:
    a worker that fits may start later (docs/scale-out.md)."""
    job = jobs.create_job(
        session,
        model_name=body.model_name,
        config=body.config,
        train_dataset_id=body.train_dataset_id,
        validation_dataset_id=body.validation_dataset_id,
        test_dataset_id=body.test_dataset_id,
        allow_remote_code=state.settings.allow_remote_code,
        caller=caller,
        resources=body.resources.model_dump(exclude_none=True) if body.resources else None,
    )
    created = FineTuneCreated.model_validate(job)
    needs = {f"needs_{k}": getattr(job, f"needs_{k}") for k in ("processes", "gpus", "memory_mb")}
    if (warning := workers.unfit_warning(session, needs)) is not None:
        created.warnings.append(warning)
    return created


@router.get("")
def list_fine_tunes(
    session: SessionDep,
    caller: TrainCaller,
    page: PageDep,
    status: str | None = None,
) -> FineTunesPublic:
    """The caller's jobs (an admin key's: all), newest first, optionally of one status."""
    runs.settle_abandoned(session)  # a recorded CLI/Python run whose process was killed
    rows, total = jobs.list_jobs(
        session, status=status, limit=page.limit, offset=page.offset, caller=caller
    )
    return FineTunesPublic(data=[FineTunePublic.model_validate(r) for r in rows], count=total)


@router.get("/{job_id}")
def get_fine_tune(job_id: str, session: SessionDep, caller: TrainCaller) -> FineTunePublic:
    """One job with its progress (step, loss, ETA)."""
    runs.settle_abandoned(session)
    return FineTunePublic.model_validate(jobs.get_job(session, job_id, caller=caller))


@router.post("/{job_id}/cancel")
def cancel_fine_tune(job_id: str, session: SessionDep, caller: TrainCaller) -> FineTunePublic:
    """Cancel a queued job at once, or a running one within a few seconds."""
    return FineTunePublic.model_validate(jobs.cancel_job(session, job_id, caller=caller))


@router.get("/{job_id}/events")
def fine_tune_events(
    job_id: str,
    request: Request,
    state: StateDep,
    session: SessionDep,
    caller: TrainCaller,
    after: int = 0,
    last_event_id: Annotated[
        str | None, Header(description="The last event id seen: the stream resumes after it.")
    ] = None,
) -> StreamingResponse:
    """Server-sent events: ``step``, ``evaluation``, ``status`` and ``log`` events, live.

    Each event's SSE id is its sequence number; reconnect with ``?after=ID`` (or the
    ``Last-Event-ID`` header) to continue where you left off. The stream ends when the
    job has finished.
    """
    resume = last_event_id
    if resume is not None and not EVENT_ID.fullmatch(resume.strip()):
        raise Problem(
            400, "bad_request", f"Last-Event-ID must be an event id (a number), got {resume!r}"
        )
    jobs.get_job(session, job_id, caller=caller)  # the stream polls only a job checked here
    session.close()
    last = int(resume) if resume is not None else after
    return StreamingResponse(
        _stream(state, job_id, last, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(state, job_id: str, after: int, request: Request) -> AsyncIterator[str]:
    while True:
        events, status = await asyncio.to_thread(_poll, state, job_id, after)
        for event in events:
            after = event.id
            payload = json.dumps({**event.data, "created_at": event.created_at.isoformat()})
            yield f"id: {event.id}\nevent: {event.type}\ndata: {payload}\n\n"
        if status in FINISHED and not events:
            yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
            return
        if await request.is_disconnected():
            return
        if not events:
            yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)


def _poll(state, job_id: str, after: int):
    with state.db.session() as session:
        events = jobs.job_events(session, job_id, after_id=after)
        return events, jobs.get_job(session, job_id).status
