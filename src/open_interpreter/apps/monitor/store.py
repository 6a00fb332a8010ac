"""The monitor's reads and writes in the database (its tables: :mod:`.tables`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from open_interpreter.apps.monitor.aggregation import Observation
from open_interpreter.apps.monitor.alerts import Trigger
from open_interpreter.apps.monitor.analysis import Analysis
from open_interpreter.apps.monitor.documents import Document
from open_interpreter.apps.monitor.tables import (
    MonitorAlert,
    MonitorDelivery,
    MonitorDocument,
    MonitorMention,
    MonitorPoint,
    MonitorRecord,
)


def new_id(prefix: str) -> str:
    """A short random id: ``mon_…``, ``alr_…``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def find_monitor(session: Session, name: str) -> MonitorRecord | None:
    """The monitor called ``name``, or None."""
    return session.scalars(select(MonitorRecord).where(MonitorRecord.name == name)).first()


def list_monitors(session: Session) -> list[MonitorRecord]:
    """Every monitor, by name."""
    return list(session.scalars(select(MonitorRecord).order_by(MonitorRecord.name)))


def known_ids(session: Session, monitor_id: str, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` this monitor has stored already."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found |= set(
            session.scalars(
                select(MonitorDocument.document_id).where(
                    MonitorDocument.monitor_id == monitor_id, MonitorDocument.document_id.in_(chunk)
                )
            )
        )
    return found


def add_documents(
    session: Session, monitor_id: str, documents: Sequence[Document], analyses: Sequence[Analysis]
) -> None:
    """Store the documents, their analysis and one mention per series key they count in."""
    rows = [
        MonitorDocument(
            monitor_id=monitor_id,
            document_id=doc.id,
            time=doc.time,
            source=doc.source,
            text=doc.text,
            topic=result.topic,
            sentiment=result.sentiment,
            entities=[{"name": m.name, "type": m.type} for m in result.mentions],
        )
        for doc, result in zip(documents, analyses, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    session.add_all(
        MonitorMention(
            monitor_id=monitor_id,
            document_pk=row.id,
            key=key,
            time=row.time,
            sentiment=result.sentiment,
            negative=result.negative,
        )
        for row, result in zip(rows, analyses, strict=True)
        for key in result.keys
    )


def observations(
    session: Session, monitor_id: str, start: datetime, end: datetime
) -> list[Observation]:
    """Mentions in ``[start, end]``, by time."""
    rows = session.execute(
        select(
            MonitorMention.key,
            MonitorMention.time,
            MonitorMention.sentiment,
            MonitorMention.negative,
        )
        .where(
            MonitorMention.monitor_id == monitor_id,
            MonitorMention.time >= start,
            MonitorMention.time <= end,
        )
        .order_by(MonitorMention.time, MonitorMention.id)
    )
    return [Observation(*row) for row in rows]


def latest_window_end(session: Session, monitor_id: str) -> datetime | None:
    """The end of the last window stored, or None."""
    return session.scalar(
        select(func.max(MonitorPoint.window_end)).where(MonitorPoint.monitor_id == monitor_id)
    )


def latest_document_time(session: Session, monitor_id: str) -> datetime | None:
    """The time of the latest document stored, or None."""
    return session.scalar(
        select(func.max(MonitorDocument.time)).where(MonitorDocument.monitor_id == monitor_id)
    )


def add_points(
    session: Session,
    monitor_id: str,
    points: dict[datetime, dict[str, dict[str, float]]],
    window_minutes: int,
) -> None:
    """Store window points."""
    session.add_all(
        MonitorPoint(
            monitor_id=monitor_id, key=key, window_end=end, window_minutes=window_minutes, **values
        )
        for end, by_key in points.items()
        for key, values in by_key.items()
    )


def points(
    session: Session,
    monitor_id: str,
    key: str | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    last: int | None = None,
    min_volume: int = 1,
    before: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored points (of one series, or all), oldest first; ``last``: only the newest n;
    ``min_volume``: only windows with that many documents; ``before``: ending before it;
    ``limit``: at most that many, the oldest."""
    query = select(MonitorPoint).where(MonitorPoint.monitor_id == monitor_id)
    if min_volume > 1:
        query = query.where(MonitorPoint.volume >= min_volume)
    if before is not None:
        query = query.where(MonitorPoint.window_end < before)
    if key is not None:
        query = query.where(MonitorPoint.key == key)
    if start is not None:
        query = query.where(MonitorPoint.window_end >= start)
    if end is not None:
        query = query.where(MonitorPoint.window_end <= end)
    order = MonitorPoint.window_end.desc() if last else MonitorPoint.window_end
    rows = list(session.scalars(query.order_by(order, MonitorPoint.key).limit(last or limit)))
    rows = rows[::-1] if last else rows
    return [
        {
            "key": p.key,
            "window_end": p.window_end,
            "window_minutes": p.window_minutes,
            "volume": p.volume,
            "mean_sentiment": p.mean_sentiment,
            "share_negative": p.share_negative,
        }
        for p in rows
    ]


def keys(session: Session, monitor_id: str) -> list[str]:
    """Every series key with a stored point."""
    return list(
        session.scalars(
            select(MonitorPoint.key)
            .where(MonitorPoint.monitor_id == monitor_id)
            .distinct()
            .order_by(MonitorPoint.key)
        )
    )


def documents_behind(
    session: Session, monitor_id: str, key: str, start: datetime, end: datetime, limit: int = 50
) -> list[str]:
    """Ids of the documents of series ``key`` in ``[start, end)``, the newest first."""
    return list(
        session.scalars(
            select(MonitorDocument.document_id)
            .join(MonitorMention, MonitorMention.document_pk == MonitorDocument.id)
            .where(
                MonitorMention.monitor_id == monitor_id,
                MonitorMention.key == key,
                MonitorMention.time >= start,
                MonitorMention.time < end,
            )
            .order_by(MonitorMention.time.desc(), MonitorMention.id.desc())
            .limit(limit)
        )
    )


def add_alert(
    session: Session, monitor_id: str, trigger: Trigger, document_ids: list[str]
) -> MonitorAlert | None:
    """Store the alert unless one with its de-duplication key exists; None then."""
    exists = session.scalar(
        select(MonitorAlert.id).where(
            MonitorAlert.monitor_id == monitor_id, MonitorAlert.dedup_key == trigger.dedup_key
        )
    )
    if exists:
        return None
    alert = MonitorAlert(
        id=new_id("alr"),
        monitor_id=monitor_id,
        rule=trigger.rule,
        kind=trigger.kind,
        key=trigger.key,
        time=trigger.time,
        value=trigger.value,
        message=trigger.message,
        document_ids=document_ids,
        dedup_key=trigger.dedup_key,
        deliveries=[],
    )
    session.add(alert)
    return alert


def alerts(
    session: Session, monitor_id: str, *, key: str | None = None, limit: int = 100
) -> list[MonitorAlert]:
    """Stored alerts, the newest first."""
    query = select(MonitorAlert).where(MonitorAlert.monitor_id == monitor_id)
    if key is not None:
        query = query.where(MonitorAlert.key == key)
    return list(session.scalars(query.order_by(MonitorAlert.time.desc()).limit(limit)))


def alert_dicts(session: Session, alert_ids: Sequence[str]) -> list[dict[str, Any]]:
    """These alerts (in this order) as JSON-ready data, each with its deliveries."""
    from open_interpreter.apps.monitor.delivery import delivery_dicts

    if not alert_ids:
        return []
    rows = {
        a.id: a for a in session.scalars(select(MonitorAlert).where(MonitorAlert.id.in_(alert_ids)))
    }
    deliveries = delivery_dicts(session, list(alert_ids))
    return [{**alert_dict(rows[i]), "deliveries": deliveries[i]} for i in alert_ids if i in rows]


def mention_stream(
    session: Session, monitor_id: str, after_id: int = 0
) -> Iterator[tuple[str, datetime, float]]:
    """Every mention's key, time and sentiment (those stored after mention ``after_id``),
    in the order they were stored (the order the change detectors saw them)."""
    query = (
        select(MonitorMention.key, MonitorMention.time, MonitorMention.sentiment)
        .where(MonitorMention.monitor_id == monitor_id, MonitorMention.id > after_id)
        .order_by(MonitorMention.id)
        .execution_options(yield_per=5000)
    )
    for row in session.execute(query):
        yield (row[0], row[1], row[2])


def last_alert_times(session: Session, monitor_id: str) -> dict[tuple[str, str], datetime]:
    """The time of each rule's latest stored alert per series."""
    rows = session.execute(
        select(MonitorAlert.rule, MonitorAlert.key, func.max(MonitorAlert.time))
        .where(MonitorAlert.monitor_id == monitor_id)
        .group_by(MonitorAlert.rule, MonitorAlert.key)
    )
    return {(rule, key): time for rule, key, time in rows}


def documents(session: Session, monitor_id: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """These documents (in this order; unknown ids left out) with their analysis."""
    if not ids:
        return []
    rows = {
        row.document_id: row
        for row in session.scalars(
            select(MonitorDocument).where(
                MonitorDocument.monitor_id == monitor_id,
                MonitorDocument.document_id.in_(list(ids)),
            )
        )
    }
    return [document_dict(rows[i]) for i in ids if i in rows]


def documents_in(
    session: Session, monitor_id: str, key: str, start: datetime, end: datetime, limit: int = 50
) -> list[dict[str, Any]]:
    """The documents of series ``key`` in ``[start, end)`` (the window behind a point),
    the newest first."""
    ids = documents_behind(session, monitor_id, key, start, end, limit=limit)
    return documents(session, monitor_id, ids)


def document_dict(row: MonitorDocument) -> dict[str, Any]:
    """A stored document with its analysis, JSON-ready."""
    return {
        "id": row.document_id,
        "time": row.time.isoformat(),
        "source": row.source,
        "text": row.text,
        "topic": row.topic,
        "sentiment": row.sentiment,
        "entities": list(row.entities),
    }


def delete_monitor(session: Session, record: MonitorRecord) -> None:
    """Delete a monitor and everything stored under it."""
    for table in (MonitorDelivery, MonitorAlert, MonitorPoint, MonitorMention, MonitorDocument):
        session.execute(delete(table).where(table.monitor_id == record.id))
    session.delete(record)
    from open_interpreter.apps.monitor import checkpoints

    checkpoints.remove(record.id)


def alert_dict(alert: MonitorAlert) -> dict[str, Any]:
    """An alert as JSON-ready data (times in ISO 8601)."""
    return {
        "id": alert.id,
        "rule": alert.rule,
        "kind": alert.kind,
        "key": alert.key,
        "time": alert.time.isoformat(),
        "value": alert.value,
        "message": alert.message,
        "document_ids": list(alert.document_ids),
        "deliveries": list(alert.deliveries),
    }
