"""``GET /v1/monitors/{id}/alerts/stream``: a monitor's new alerts, live, as server-sent
events (docs/monitor.md, "Live alerts").

Events: ``alert`` (one stored alert; its SSE id is a :class:`~open_interpreter.apps.
monitor.feed.FeedCursor`), ``progress`` (the latest document time and window end, sent
when they change: the stream moved on without an alert) and ``end`` (``reason``:
``deleted`` when the monitor is deleted, ``lifetime`` when the stream reached its
maximum age; reconnect to go on). A comment line is sent every ``keepalive_seconds``
when nothing else was. A stream starts after the alerts stored when it was opened, or
after ``?after=CURSOR`` / ``Last-Event-ID`` (``after=0``: from the first alert).

Bounded: each key has at most ``max_streams_per_key`` open streams (429 beyond), and a
stream ends after ``max_seconds``. The same ``predict`` key as the other monitor reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from open_interpreter.apps.monitor import feed
from open_interpreter.apps.monitor.tables import MonitorRecord
from open_interpreter.errors import DataError
from open_interpreter.serving.deps import SessionDep, StateDep
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.routes.monitors import PredictCaller, _record
from open_interpreter.storage import Database

router = APIRouter(prefix="/monitors", tags=["monitors"])


@dataclass(frozen=True)
class StreamLimits:
    """How long alert streams live, how many one key may hold, how often they look.

    Attributes:
        keepalive_seconds: A comment line after this long without an event (proxies
            close idle connections).
        max_streams_per_key: Open streams one API key (or, without keys, the server) may hold.
        max_seconds: A stream's longest life; it then ends with ``reason: lifetime``.
        poll_seconds: How often the database is asked for new alerts.
        retry_ms: The reconnection delay told to ``EventSource`` clients.
    """

    keepalive_seconds: float = 15.0
    max_streams_per_key: int = 4
    max_seconds: float = 3600.0
    poll_seconds: float = 0.5
    retry_ms: int = 2000


LIMITS = StreamLimits()
_BATCH = 100  # alerts read per poll; more are sent on the next poll without a pause


class StreamSlots:
    """The open streams of each key. A slot is taken before the answer starts (so a key
    over its cap gets a 429) and given back when its stream ends; one never given back
    (a stream that never started) lapses after the longest life a stream has."""

    def __init__(self) -> None:
        self._open: dict[str, dict[int, float]] = {}
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)

    def take(self, key: str, limits: StreamLimits) -> int | None:
        """A slot for one more stream of ``key``, or None when it holds its cap."""
        now = time.monotonic()
        with self._lock:
            held = {t: ends for t, ends in self._open.get(key, {}).items() if ends > now}
            if len(held) >= limits.max_streams_per_key:
                self._open[key] = held
                return None
            token = next(self._tokens)
            held[token] = now + limits.max_seconds + 60
            self._open[key] = held
            return token

    def give_back(self, key: str, token: int) -> None:
        """End a slot (a stream closed)."""
        with self._lock:
            held = self._open.get(key, {})
            held.pop(token, None)
            if not held:
                self._open.pop(key, None)


_slots = StreamSlots()


def _start(session: Any, monitor_id: str, after: str | None) -> feed.FeedCursor | None:
    """Where a new stream starts: after the given cursor, at the beginning (``0``), or
    after the latest alert stored now."""
    if after is None:
        return feed.latest_cursor(session, monitor_id)
    if after.strip() == "0":
        return None
    try:
        return feed.FeedCursor.parse(after)
    except DataError as error:
        raise Problem(400, "bad_request", str(error)) from None


@router.get(
    "/{monitor_id}/alerts/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def stream_alerts(
    monitor_id: str,
    request: Request,
    state: StateDep,
    session: SessionDep,
    caller: PredictCaller,
    after: Annotated[
        str | None, Query(max_length=60, description="Resume after this alert cursor; 0: all.")
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(max_length=60, description="The last event id seen: the stream resumes after it."),
    ] = None,
) -> StreamingResponse:
    """New alerts of the monitor as server-sent events (``alert``, ``progress``, ``end``);
    ``Last-Event-ID`` (or ``?after=``) resumes after an alert already seen."""
    record = _record(session, monitor_id, caller)
    cursor = _start(session, record.id, last_event_id if last_event_id is not None else after)
    session.close()
    limits, owner = LIMITS, caller.key_id or "no-key"
    token = _slots.take(owner, limits)
    if token is None:
        raise Problem(
            429,
            "too_many_streams",
            f"this key holds {limits.max_streams_per_key} open alert streams: close one first",
        )
    return _AlertStream(
        _events(state.db, record.id, cursor, request, limits),
        on_close=lambda: _slots.give_back(owner, token),
    )


class _AlertStream(StreamingResponse):
    """An event stream that gives its slot back however it ends: finished, failed, or
    cancelled by a client that went away (Starlette then leaves the body unfinished)."""

    def __init__(self, events: AsyncGenerator[str, None], *, on_close: Any) -> None:
        super().__init__(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._events, self._on_close = events, on_close

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()
            await self._events.aclose()


def _event(kind: str, data: dict[str, Any], event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data)}\n\n"


async def _events(
    db: Database,
    monitor_id: str,
    cursor: feed.FeedCursor | None,
    request: Request,
    limits: StreamLimits,
) -> AsyncGenerator[str, None]:
    started = last_sent = time.monotonic()
    shown: dict[str, str | None] | None = None
    yield f"retry: {limits.retry_ms}\n\n"
    while True:
        found, progress = await asyncio.to_thread(_poll, db, monitor_id, cursor)
        if progress is None:
            yield _event("end", {"reason": "deleted"})
            return
        for cursor, alert in found:
            yield _event("alert", alert, str(cursor))
        sent = bool(found)
        if progress != shown:
            shown, sent = progress, True
            yield _event("progress", progress)
        now = time.monotonic()
        if sent:
            last_sent = now
        if now - started >= limits.max_seconds:
            yield _event("end", {"reason": "lifetime"})
            return
        if now - last_sent >= limits.keepalive_seconds:
            last_sent = now
            yield ": keep-alive\n\n"
        if await request.is_disconnected():
            return
        if len(found) < _BATCH:
            await asyncio.sleep(limits.poll_seconds)


def _poll(
    db: Database, monitor_id: str, cursor: feed.FeedCursor | None
) -> tuple[list[tuple[feed.FeedCursor, dict[str, Any]]], dict[str, str | None] | None]:
    """New alerts and the progress; None for the progress when the monitor is gone."""
    with db.session() as session:
        if session.get(MonitorRecord, monitor_id) is None:
            return [], None
        return (
            feed.alerts_after(session, monitor_id, cursor, limit=_BATCH),
            feed.progress(session, monitor_id),
        )
