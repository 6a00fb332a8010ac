"""``/v1/monitors``: the financial-news monitor over HTTP (docs/monitor.md).

Create, list, read and delete monitors; send documents in batches (idempotent by document
id); read the time series, the documents behind a point, and the alerts with the
documents that caused them; read, add and remove alert rules. A monitor belongs to the
key that created it (another key's monitor answers 404, an admin key sees all).
Documents and reads need a ``predict`` key; creating, deleting and changing rules a
``train`` key; a monitor with webhooks an ``admin`` key (the server will POST to those
addresses). Alerts are queued for their webhooks and sent by a background worker, so a
slow or dead webhook never slows ``POST …/documents``.

One :class:`~open_interpreter.apps.monitor.Monitor` per monitor is kept in this process
(its detectors are rebuilt from the stored mentions when it is first opened) and a lock
makes its batches go one at a time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.apps.monitor import delivery, store
from open_interpreter.apps.monitor.documents import MAX_ID_LENGTH, parse_time, to_document
from open_interpreter.apps.monitor.monitor import Monitor
from open_interpreter.apps.monitor.settings import MonitorSettings, Rule
from open_interpreter.apps.monitor.tables import MonitorDocument, MonitorRecord
from open_interpreter.errors import DataError
from open_interpreter.services.callers import Caller
from open_interpreter.services.names import NAME_PATTERN
from open_interpreter.serving.deps import (
    PageDep,
    PredictKey,
    SessionDep,
    StateDep,
    TrainCaller,
    caller_of,
)
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import Page

MAX_BATCH = 500
"""Documents in one ``POST …/documents``."""
MAX_TEXT = 20_000
"""Characters in one document's text."""
MAX_POINTS = 5_000
"""Points of one series in one answer."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # deliveries queued before a restart are sent without waiting for a new alert
    delivery.worker_for(app.state.oi.db).wake()
    yield
    delivery.stop_workers()


router = APIRouter(prefix="/monitors", tags=["monitors"], lifespan=_lifespan)


async def _predict_caller(request: Request, key: PredictKey) -> Caller:
    return caller_of(request, key)


PredictCaller = Annotated[Caller, Depends(_predict_caller)]


# -- bodies and answers -------------------------------------------------------------------


class MonitorCreate(MonitorSettings):
    """A monitor: its name and settings (windows, alias table, rules, webhooks)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Unique among monitors.")


class WebhookPublic(BaseModel):
    """A webhook, its secret never shown."""

    url: str
    signed: bool = Field(description="Whether payloads are signed (it has a secret).")
    retries: int
    backoff_seconds: float


class MonitorPublic(BaseModel):
    """A monitor and what it holds."""

    id: str
    name: str
    window_minutes: int
    step_minutes: int
    sentiment: str
    sentiment_model: str | None = Field(description="The registered sentiment classifier.")
    topic_model: str | None = Field(description="The registered topic classifier.")
    topics: bool
    aliases: dict[str, Any]
    rules: list[Rule]
    webhooks: list[WebhookPublic]
    documents: int = Field(description="Documents stored.")
    keys: list[str] = Field(description="Series with at least one window.")
    latest_document_time: datetime | None
    created_at: datetime


class MonitorsPublic(Page):
    """A page of monitors."""

    data: list[MonitorPublic]


class DocumentIn(BaseModel):
    """One document: the sender's id, its time, where it came from, and its text."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    time: StrictStr | StrictFloat | StrictInt = Field(
        description="ISO 8601 (UTC if no zone) or a Unix timestamp."
    )
    source: str = Field("api", min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class DocumentsIn(BaseModel):
    """A batch of documents."""

    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestPublic(BaseModel):
    """What a batch did: documents received, stored (new), duplicates, new alerts."""

    received: int
    stored: int
    duplicates: int
    alerts: list[dict[str, Any]]


class SeriesPublic(BaseModel):
    """One series' window points, oldest first."""

    key: str
    window_minutes: int
    points: list[dict[str, Any]]


class SeriesList(BaseModel):
    """The series asked for."""

    data: list[SeriesPublic]


class AlertsPublic(BaseModel):
    """Alerts, the newest first, each with the documents that caused it and its deliveries."""

    data: list[dict[str, Any]]


class DocumentsPublic(BaseModel):
    """Stored documents with their analysis."""

    data: list[dict[str, Any]]


class RulesPublic(BaseModel):
    """A monitor's alert rules."""

    data: list[Rule]


# -- the monitors this process holds -----------------------------------------------------

_held: dict[str, tuple[str, Monitor, threading.Lock]] = {}
_held_lock = threading.Lock()


def _monitor(state: Any, record: MonitorRecord) -> tuple[Monitor, threading.Lock]:
    """This process's ``Monitor`` for ``record`` (opened again when its settings changed)."""
    stamp = repr(sorted(record.settings.items()))
    with _held_lock:
        held = _held.get(record.id)
        if held is None or held[0] != stamp:
            monitor = Monitor(record.name, database=state.db, delivery="background")
            held = _held[record.id] = (stamp, monitor, threading.Lock())
        return held[1], held[2]


def _forget(monitor_id: str) -> None:
    with _held_lock:
        _held.pop(monitor_id, None)


def _record(session: Session, monitor_id: str, caller: Caller) -> MonitorRecord:
    usable = len(monitor_id) <= 32 and "\x00" not in monitor_id
    record = session.get(MonitorRecord, monitor_id) if usable else None
    if record is None or not caller.may_see(record.owner_key_id):
        raise Problem(404, "not_found", "no such monitor")
    return record


def _public(session: Session, record: MonitorRecord) -> MonitorPublic:
    settings = MonitorSettings(**record.settings)
    count = session.scalar(select(func.count()).where(MonitorDocument.monitor_id == record.id))
    return MonitorPublic(
        id=record.id,
        name=record.name,
        window_minutes=settings.window_minutes,
        step_minutes=settings.step_minutes,
        sentiment=settings.sentiment,
        sentiment_model=settings.sentiment_model,
        topic_model=settings.topic_model,
        topics=settings.topics,
        aliases=settings.aliases,
        rules=settings.rules,
        webhooks=[
            WebhookPublic(
                url=str(w.url),
                signed=bool(w.secret),
                retries=w.retries,
                backoff_seconds=w.backoff_seconds,
            )
            for w in settings.webhooks
        ],
        documents=count or 0,
        keys=store.keys(session, record.id),
        latest_document_time=store.latest_document_time(session, record.id),
        created_at=record.created_at,
    )


def _check_webhooks(settings: MonitorSettings, caller: Caller) -> None:
    if settings.webhooks and not caller.sees_all:
        raise Problem(403, "forbidden", "webhooks make the server call out: they need an admin key")


def _settings(fields: dict[str, Any]) -> MonitorSettings:
    try:
        return MonitorSettings(**fields)
    except ValueError as error:  # pydantic's ValidationError: a 422 naming the fault
        raise Problem(422, "invalid_config", _first_line(error)) from None


def _first_line(error: Exception) -> str:
    text = str(error).splitlines()
    return " ".join(line.strip() for line in text[:3])[:500]


# -- routes ------------------------------------------------------------------------------


@router.post("", status_code=201)
def create_monitor(
    body: MonitorCreate, state: StateDep, session: SessionDep, caller: TrainCaller
) -> MonitorPublic:
    """Create a monitor (409 if the name is taken)."""
    settings = body.model_dump(exclude={"name"})
    _check_webhooks(_settings(settings), caller)
    if store.find_monitor(session, body.name) is not None:
        raise Problem(409, "conflict", f"a monitor named {body.name!r} exists")
    monitor = Monitor(
        body.name,
        database=state.db,
        settings=settings,
        delivery="background",
        owner_key_id=caller.key_id,
    )
    return _public(session, session.get(MonitorRecord, monitor.id))


@router.get("")
def list_monitors(session: SessionDep, caller: PredictCaller, page: PageDep) -> MonitorsPublic:
    """The caller's monitors (an admin key's: all), by name."""
    query = caller.owned(select(MonitorRecord), MonitorRecord.owner_key_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(MonitorRecord.name).limit(page.limit).offset(page.offset))
    return MonitorsPublic(data=[_public(session, row) for row in rows], count=total)


@router.get("/{monitor_id}")
def get_monitor(monitor_id: str, session: SessionDep, caller: PredictCaller) -> MonitorPublic:
    """One monitor: its settings (webhook secrets left out), documents and series."""
    return _public(session, _record(session, monitor_id, caller))


@router.delete("/{monitor_id}", status_code=204)
def delete_monitor(monitor_id: str, session: SessionDep, caller: TrainCaller) -> Response:
    """Delete a monitor with its documents, series, alerts and queued deliveries."""
    record = _record(session, monitor_id, caller)
    with _held_lock:
        held = _held.pop(record.id, None)
    lock = held[2] if held else threading.Lock()
    with lock:  # not in the middle of a batch
        store.delete_monitor(session, record)
        session.commit()
    return Response(status_code=204)


@router.post("/{monitor_id}/documents")
def add_documents(
    monitor_id: str,
    body: DocumentsIn,
    state: StateDep,
    session: SessionDep,
    caller: PredictCaller,
) -> IngestPublic:
    """Analyse and store a batch; a document id seen before (in this batch or an earlier
    one) counts as a duplicate and is not analysed again. A bad document answers 422 with
    its ``index`` in the batch and nothing is stored."""
    record = _record(session, monitor_id, caller)
    documents = []
    for index, item in enumerate(body.documents):
        try:
            documents.append(to_document(item.model_dump(), source="documents"))
        except DataError as error:
            raise Problem(
                422, "invalid_document", f"documents[{index}]: {error}", index=index
            ) from None
    settings = MonitorSettings(**record.settings)
    from open_interpreter.apps.monitor.pipeline import classifiers_ready

    if not classifiers_ready(settings, database=state.db):
        raise Problem(
            409,
            "model_not_ready",
            "this monitor's classifiers are not trained on this server yet: train them "
            "as a job (POST /v1/monitors/{id}/classifiers), run 'oi monitor replay' with "
            "a monitor using them once, or create the monitor with sentiment 'lexicon'",
        )
    session.close()  # the monitor uses its own sessions; do not hold this one's lock
    monitor, lock = _monitor(state, record)
    with lock:
        result = monitor.ingest(documents)
    return IngestPublic(
        received=result.received,
        stored=result.stored,
        duplicates=result.duplicates,
        alerts=result.alerts,
    )


def _no_nul(**values: str | None) -> None:
    """Refuse a query value holding a NUL (PostgreSQL cannot compare one)."""
    for name, value in values.items():
        if value is not None and "\x00" in value:
            raise Problem(422, "invalid_query", f"{name} may not hold a NUL character")


_PERIOD = re.compile(r"^(\d{1,6})([mhd])$")


def _period(text: str | None) -> timedelta | None:
    if text is None:
        return None
    found = _PERIOD.match(text)
    if not found:
        raise Problem(422, "invalid_query", "window is a number and m, h or d: 90m, 24h, 7d")
    amount, unit = int(found.group(1)), found.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except (ValueError, OverflowError, OSError):
        raise Problem(422, "invalid_query", f"{name} is not a time (ISO 8601)") from None


@router.get("/{monitor_id}/series")
def get_series(
    monitor_id: str,
    session: SessionDep,
    caller: PredictCaller,
    entity: Annotated[str | None, Query(max_length=250)] = None,
    topic: Annotated[str | None, Query(max_length=50)] = None,
    window: Annotated[
        str | None, Query(max_length=10, description="Only the last period: 90m, 24h, 7d.")
    ] = None,
    start: Annotated[str | None, Query(max_length=40)] = None,
    end: Annotated[str | None, Query(max_length=40)] = None,
) -> SeriesList:
    """Window points of one entity's series, one topic's, or (neither given) every series;
    ``window`` keeps the last period before the latest point, ``start``/``end`` a range."""
    _no_nul(entity=entity, topic=topic)
    record = _record(session, monitor_id, caller)
    wanted = [f"entity:{entity}"] if entity else []
    wanted += [f"topic:{topic}"] if topic else []
    keys = wanted or store.keys(session, record.id)
    period = _period(window)
    since, until = _moment(start, "start"), _moment(end, "end")
    latest = store.latest_window_end(session, record.id) if period is not None else None
    if period is not None and latest is not None and latest - datetime.min > period:
        since = max(since or latest - period, latest - period)
    minutes = MonitorSettings(**record.settings).window_minutes
    return SeriesList(
        data=[
            SeriesPublic(
                key=key,
                window_minutes=minutes,
                points=store.points(
                    session, record.id, key, start=since, end=until, limit=MAX_POINTS
                ),
            )
            for key in keys[:200]
        ]
    )


@router.get("/{monitor_id}/documents")
def get_documents(
    monitor_id: str,
    session: SessionDep,
    caller: PredictCaller,
    key: Annotated[str, Query(max_length=300, description="A series: entity:X, topic:Y.")],
    at: Annotated[str, Query(max_length=40, description="A point's window_end.")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DocumentsPublic:
    """The documents behind one point: those of series ``key`` in the window ending
    ``at``, the newest first."""
    _no_nul(key=key, at=at)
    record = _record(session, monitor_id, caller)
    end = _moment(at, "at")
    window = timedelta(minutes=MonitorSettings(**record.settings).window_minutes)
    if end is None or end - datetime.min < window:
        raise Problem(422, "invalid_query", "at is too early to be a window's end")
    return DocumentsPublic(
        data=store.documents_in(session, record.id, key, end - window, end, limit=limit)
    )


@router.get("/{monitor_id}/alerts")
def get_alerts(
    monitor_id: str,
    session: SessionDep,
    caller: PredictCaller,
    key: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AlertsPublic:
    """Alerts, the newest first, each with the documents that caused it (``documents``:
    id, time, source, text, sentiment, topic, entities) and its deliveries."""
    _no_nul(key=key)
    record = _record(session, monitor_id, caller)
    found = store.alerts(session, record.id, key=key, limit=limit)
    alerts = store.alert_dicts(session, [a.id for a in found])
    for alert in alerts:
        alert["documents"] = store.documents(session, record.id, alert["document_ids"])
    return AlertsPublic(data=alerts)


@router.get("/{monitor_id}/rules")
def get_rules(monitor_id: str, session: SessionDep, caller: PredictCaller) -> RulesPublic:
    """The monitor's alert rules."""
    record = _record(session, monitor_id, caller)
    return RulesPublic(data=MonitorSettings(**record.settings).rules)


@router.post("/{monitor_id}/rules", status_code=201)
def add_rule(monitor_id: str, body: Rule, session: SessionDep, caller: TrainCaller) -> RulesPublic:
    """Add a rule (409 if the monitor has one of that name). Its detectors start from the
    stored mentions, as on reopening."""
    record = _record(session, monitor_id, caller)
    settings = MonitorSettings(**record.settings)
    if any(rule.name == body.name for rule in settings.rules):
        raise Problem(409, "conflict", f"the monitor has a rule named {body.name!r}")
    changed = _settings(
        {**settings.model_dump(), "rules": [*settings.model_dump()["rules"], body.model_dump()]}
    )
    record.settings = changed.model_dump(mode="json")
    session.commit()
    _forget(record.id)
    return RulesPublic(data=changed.rules)


@router.delete("/{monitor_id}/rules/{name}", status_code=204)
def delete_rule(monitor_id: str, name: str, session: SessionDep, caller: TrainCaller) -> Response:
    """Remove a rule (its stored alerts stay)."""
    record = _record(session, monitor_id, caller)
    settings = MonitorSettings(**record.settings)
    kept = [rule for rule in settings.rules if rule.name != name]
    if len(kept) == len(settings.rules):
        raise Problem(404, "not_found", "the monitor has no rule of that name")
    record.settings = settings.model_copy(update={"rules": kept}).model_dump(mode="json")
    session.commit()
    _forget(record.id)
    return Response(status_code=204)
