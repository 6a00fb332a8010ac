"""Alert delivery off the ingestion path: a queue of deliveries in the database
(``monitor_deliveries``: attempts, next try, last error) and a worker that sends what is
due, one try at a time, with exponential backoff between tries.

Ingestion only queues (one row per alert and webhook, in the same transaction as the
alert); :class:`DeliveryWorker` (a thread, one per database in a process) sends them, so
a slow or dead webhook never holds up ``ingest``. Each try is one signed POST
(:func:`~open_interpreter.apps.monitor.webhooks.deliver` with no retries of its own); a
failure that may pass (connection error, timeout, 5xx, 429) is tried again after
``backoff_seconds × 2^(attempts − 1)`` until the webhook's ``retries`` are spent; any
other 4xx fails at once. A delivery is claimed (its next try pushed ``CLAIM_SECONDS``
ahead) before it is sent, so two workers never send it at the same time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from open_interpreter.apps.monitor.settings import MonitorSettings, Webhook
from open_interpreter.apps.monitor.tables import MonitorAlert, MonitorDelivery, MonitorRecord
from open_interpreter.apps.monitor.webhooks import deliver
from open_interpreter.errors import DatabaseUnreachableError
from open_interpreter.storage import Database
from open_interpreter.storage.tables import utcnow

logger = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
CLAIM_SECONDS = 120.0


def queue(session: Session, alert: MonitorAlert, webhooks: Sequence[Webhook]) -> None:
    """Queue ``alert`` for each webhook (sent by :func:`send_due`, due now)."""
    now = utcnow()
    session.add_all(
        MonitorDelivery(
            alert_id=alert.id,
            monitor_id=alert.monitor_id,
            url=str(webhook.url),
            status=PENDING,
            attempts=0,
            next_try_at=now,
        )
        for webhook in webhooks
    )


def send_due(
    database: Database,
    *,
    alert_ids: Sequence[str] | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> int:
    """Try, once each, up to ``limit`` deliveries that are due (of ``alert_ids`` only, if
    given); returns how many were tried."""
    now = now or utcnow()
    with database.session() as session:
        query = select(MonitorDelivery).where(
            MonitorDelivery.status == PENDING, MonitorDelivery.next_try_at <= now
        )
        if alert_ids is not None:
            query = query.where(MonitorDelivery.alert_id.in_(list(alert_ids)))
        rows = list(session.scalars(query.order_by(MonitorDelivery.next_try_at).limit(limit)))
        for row in rows:  # claim them before the (slow) sending
            row.next_try_at = now + timedelta(seconds=CLAIM_SECONDS)
        session.commit()
        claimed = [row.id for row in rows]
    for delivery_id in claimed:
        try:
            _try_once(database, delivery_id)
        except Exception:  # one bad delivery must not stop the others
            logger.exception("monitor delivery %s could not be tried", delivery_id)
    return len(claimed)


def next_due(database: Database, alert_ids: Sequence[str] | None = None) -> datetime | None:
    """When the earliest pending delivery is due (of ``alert_ids`` only, if given)."""
    with database.session() as session:
        query = select(func.min(MonitorDelivery.next_try_at)).where(
            MonitorDelivery.status == PENDING
        )
        if alert_ids is not None:
            query = query.where(MonitorDelivery.alert_id.in_(list(alert_ids)))
        return session.scalar(query)


def send_now(
    database: Database,
    alert_ids: Sequence[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deliver these alerts before returning, waiting out the backoff between tries (what
    ``Monitor(delivery="inline")`` does; the server queues instead)."""
    while True:
        send_due(database, alert_ids=alert_ids, limit=1000)
        due = next_due(database, alert_ids)
        if due is None:
            return
        sleep(max(0.0, (due - utcnow()).total_seconds()))


def delivery_dicts(session: Session, alert_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The deliveries of each alert, as JSON-ready data."""
    found: dict[str, list[dict[str, Any]]] = {alert_id: [] for alert_id in alert_ids}
    if not alert_ids:
        return found
    rows = session.scalars(
        select(MonitorDelivery)
        .where(MonitorDelivery.alert_id.in_(list(alert_ids)))
        .order_by(MonitorDelivery.id)
    )
    for row in rows:
        found[row.alert_id].append(delivery_dict(row))
    return found


def delivery_dict(row: MonitorDelivery) -> dict[str, Any]:
    """One delivery: url, state (pending, delivered, failed), delivered, attempts, the last
    HTTP status and error, and the next try."""
    return {
        "url": row.url,
        "state": row.status,
        "delivered": row.status == DELIVERED,
        "attempts": row.attempts,
        "status": row.last_status,
        "error": row.last_error,
        "next_try_at": row.next_try_at.isoformat() if row.status == PENDING else None,
    }


def _try_once(database: Database, delivery_id: int) -> None:
    from open_interpreter.apps.monitor.store import alert_dict

    with database.session() as session:
        row = session.get(MonitorDelivery, delivery_id)
        if row is None or row.status != PENDING:
            return
        alert = session.get(MonitorAlert, row.alert_id)
        monitor = session.get(MonitorRecord, row.monitor_id)
        webhook = _webhook(monitor, row.url)
        if alert is None or monitor is None or webhook is None:
            row.status, row.last_error, row.finished_at = FAILED, "webhook removed", utcnow()
            session.commit()
            return
        payload = {**alert_dict(alert), "monitor": monitor.name}
        payload.pop("deliveries")
    record = deliver(webhook.model_copy(update={"retries": 0}), payload)
    with database.session() as session:
        row = session.get(MonitorDelivery, delivery_id)
        if row is None:  # the monitor was deleted meanwhile
            return
        row.attempts += 1
        row.last_status, row.last_error = record["status"], record["error"]
        status = record["status"]
        refused = record["blocked"] or (status is not None and status < 500 and status != 429)
        if record["delivered"]:
            row.status, row.finished_at = DELIVERED, utcnow()
        elif refused or row.attempts > webhook.retries:
            row.status, row.finished_at = FAILED, utcnow()
        else:
            wait = webhook.backoff_seconds * 2 ** (row.attempts - 1)
            row.next_try_at = utcnow() + timedelta(seconds=wait)
        session.flush()
        stored = session.get(MonitorAlert, row.alert_id)
        if stored is not None:
            stored.deliveries = delivery_dicts(session, [stored.id])[stored.id]
        session.commit()


def _webhook(monitor: MonitorRecord | None, url: str) -> Webhook | None:
    if monitor is None:
        return None
    settings = MonitorSettings(**monitor.settings)
    return next((w for w in settings.webhooks if str(w.url) == url), None)


class DeliveryWorker:
    """A thread sending due deliveries of one database; :meth:`wake` after queueing.

    Args:
        database: Whose ``monitor_deliveries`` it serves.
        poll_seconds: The longest it sleeps between looks at the queue.
    """

    def __init__(self, database: Database, poll_seconds: float = 1.0):
        self.database = database
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> DeliveryWorker:
        """Start the thread (once)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="oi-monitor-delivery", daemon=True
                )
                self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the queue now (new deliveries were queued)."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the try in progress."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                while send_due(self.database) and not self._stop.is_set():
                    pass
                due = next_due(self.database)
            except (OperationalError, DatabaseUnreachableError) as exc:
                # the database is restarting or unreachable: say so in one line, retry
                first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
                logger.warning("monitor deliveries wait for the database: %s", first_line)
                due = None
            except Exception:
                logger.exception("the monitor delivery worker failed; trying again")
                due = None
            wait = self.poll_seconds
            if due is not None:
                wait = min(wait, max(0.0, (due - utcnow()).total_seconds()))
            self._wake.wait(wait)


_workers: dict[str, DeliveryWorker] = {}
_workers_lock = threading.Lock()


def worker_for(database: Database) -> DeliveryWorker:
    """This process's delivery worker for ``database`` (started on first use)."""
    with _workers_lock:
        worker = _workers.get(database.url)
        if worker is None or worker.database is not database:
            if worker is not None:
                worker.stop(timeout=0)
            worker = _workers[database.url] = DeliveryWorker(database)
        return worker.start()


def stop_workers() -> None:
    """Stop every delivery worker of this process (the server does on shutdown)."""
    with _workers_lock:
        workers = list(_workers.values())
        _workers.clear()
    for worker in workers:
        worker.stop()
