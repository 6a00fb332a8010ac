"""A monitor's alerts in the order they were stored, for a live feed (the server's
server-sent events, ``GET /v1/monitors/{id}/alerts/stream``).

A :class:`FeedCursor` marks a place in that order: the moment an alert was stored and
its id (``1714554000123456-alr_3f9a1c0b7e2d4a61``, microseconds since the Unix epoch),
so a client that saw an alert resumes after it with the cursor as its ``Last-Event-ID``.
Alerts are stored in the transaction of the batch that raised them and one batch at a
time per monitor in a process (the server's lock), so a later batch's alerts always sort
after an earlier one's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from open_interpreter.apps.monitor import store
from open_interpreter.apps.monitor.tables import MonitorAlert
from open_interpreter.errors import DataError

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR = re.compile(r"([0-9]{1,17})-([A-Za-z0-9_]{1,32})")


@dataclass(frozen=True, order=True)
class FeedCursor:
    """A place in a monitor's alerts: after the alert ``alert_id`` stored at ``stored_at``."""

    stored_at: datetime
    alert_id: str

    def __str__(self) -> str:
        return f"{(self.stored_at - _EPOCH) // _MICROSECOND}-{self.alert_id}"

    @classmethod
    def parse(cls, text: str) -> FeedCursor:
        """Read a cursor written by ``str(cursor)``.

        Raises:
            DataError: ``text`` is not a cursor (the message shows the form).

        Example:
            >>> str(FeedCursor.parse("1714554000123456-alr_3f9a"))
            '1714554000123456-alr_3f9a'
        """
        found = _CURSOR.fullmatch(text.strip())
        if found is None:
            raise DataError(
                "an alert cursor is <microseconds>-<alert id>, as the stream's event ids: "
                f"got {text[:60]!r}"
            )
        return cls(_EPOCH + int(found.group(1)) * _MICROSECOND, found.group(2))

    @classmethod
    def of(cls, alert: MonitorAlert) -> FeedCursor:
        """The cursor just at ``alert`` (what follows it comes after)."""
        return cls(alert.created_at, alert.id)


def latest_cursor(session: Session, monitor_id: str) -> FeedCursor | None:
    """The cursor at the monitor's latest stored alert, or None when it has none."""
    latest = session.scalars(
        select(MonitorAlert)
        .where(MonitorAlert.monitor_id == monitor_id)
        .order_by(MonitorAlert.created_at.desc(), MonitorAlert.id.desc())
        .limit(1)
    ).first()
    return FeedCursor.of(latest) if latest is not None else None


def alerts_after(
    session: Session, monitor_id: str, cursor: FeedCursor | None, *, limit: int = 100
) -> list[tuple[FeedCursor, dict[str, Any]]]:
    """The monitor's alerts stored after ``cursor`` (all of them from None), oldest
    first, at most ``limit``; each with its cursor and as JSON-ready data with its
    deliveries."""
    query = select(MonitorAlert).where(MonitorAlert.monitor_id == monitor_id)
    if cursor is not None:
        query = query.where(
            or_(
                MonitorAlert.created_at > cursor.stored_at,
                and_(
                    MonitorAlert.created_at == cursor.stored_at,
                    MonitorAlert.id > cursor.alert_id,
                ),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(MonitorAlert.created_at, MonitorAlert.id).limit(max(1, limit))
        )
    )
    data = store.alert_dicts(session, [row.id for row in rows])
    return [(FeedCursor.of(row), item) for row, item in zip(rows, data, strict=True)]


def progress(session: Session, monitor_id: str) -> dict[str, str | None]:
    """How far the monitor has got: its latest document's time and latest window's end
    (ISO 8601), which change as a replay runs."""
    document = store.latest_document_time(session, monitor_id)
    window = store.latest_window_end(session, monitor_id)
    return {
        "latest_document_time": document.isoformat() if document else None,
        "latest_window_end": window.isoformat() if window else None,
    }
