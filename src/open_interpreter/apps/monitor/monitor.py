"""``Monitor``: the financial-news monitor's Python face.

A monitor ingests documents (idempotently by id), analyses them in batches, counts them
per entity and per topic in sliding windows stored as time series, applies its alert
rules, stores the alerts with the documents behind them and delivers them to webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from open_interpreter.apps.monitor import checkpoints, delivery, store
from open_interpreter.apps.monitor.aggregation import aggregate, due_window_ends
from open_interpreter.apps.monitor.alerts import WINDOW_KINDS, AlertEngine, Trigger
from open_interpreter.apps.monitor.documents import Document, read_documents, replay, to_document
from open_interpreter.apps.monitor.settings import MonitorSettings
from open_interpreter.apps.monitor.tables import MonitorRecord
from open_interpreter.errors import NotFoundError
from open_interpreter.storage import Database

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What one ``ingest`` (or a whole replay) did."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Add another result's counts and alerts to this one."""
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.alerts += other.alerts


class Monitor:
    """A named monitor stored in the platform's database.

    Args:
        name: Its name; opened if it exists, created otherwise.
        database: A :class:`~open_interpreter.storage.Database`, a database URL, or None
            for the platform's own (``OI_DATABASE_URL`` or ``$OI_HOME/oi.db``).
        analyzer: What analyses documents (an object with ``analyse(texts)``); by default
            the monitor's fine-tuned classifiers, trained once and cached in ``$OI_HOME``.
        settings: A :class:`MonitorSettings` or its fields as a dict; given for an
            existing monitor, they replace its stored settings.
        delivery: ``inline``: ``ingest`` delivers its alerts before it returns (retries
            and backoff included); ``background``: it only queues them and wakes this
            process's delivery worker (what the server does).
        owner_key_id: The API key a new monitor belongs to (the server's callers).
        **fields: Individual settings (``rules=[...]``, ``aliases={...}``), over ``settings``.

    Raises:
        ConfigError: Invalid settings (via pydantic's ValidationError, a ValueError).

    Example:
        >>> monitor = Monitor("banks", aliases={"HSBC": {"type": "company", "aliases": []}},
        ...                   rules=[{"name": "drop", "kind": "adwin"}])  # doctest: +SKIP
        >>> monitor.ingest([{"id": "1", "time": "2024-05-01T09:00:00", "source": "wire",
        ...                  "text": "HSBC profits fell."}]).stored  # doctest: +SKIP
        1
    """

    def __init__(
        self,
        name: str,
        *,
        database: Database | str | None = None,
        analyzer: Any = None,
        settings: MonitorSettings | dict[str, Any] | None = None,
        delivery: Literal["inline", "background"] = "inline",
        owner_key_id: str | None = None,
        **fields: Any,
    ):
        self.database = database if isinstance(database, Database) else Database(database)
        given = settings.model_dump() if isinstance(settings, MonitorSettings) else settings
        with self.database.session() as session:
            record = store.find_monitor(session, name)
            if record is None:
                chosen = MonitorSettings(**{**(given or {}), **fields})
                record = MonitorRecord(
                    id=store.new_id("mon"),
                    name=name,
                    settings=chosen.model_dump(mode="json"),
                    owner_key_id=owner_key_id,
                )
                session.add(record)
            elif given is not None or fields:
                chosen = MonitorSettings(**{**(given or record.settings), **fields})
                record.settings = chosen.model_dump(mode="json")
            session.commit()
            self.id, self.name = record.id, record.name
            self.owner_key_id = record.owner_key_id
            self.settings = MonitorSettings(**record.settings)
            self._last_end = store.latest_window_end(session, self.id)
            self._watermark = store.latest_document_time(session, self.id)
        self._analyzer = analyzer
        self.delivery = delivery
        self.engine = AlertEngine(self.settings.rules, history=self._history)
        self.replayed_mentions = 0  # fed to the detectors on opening (see _restore_detectors)
        self._unsaved_mentions = 0  # fed since the last detector checkpoint
        self._restore_detectors()

    @classmethod
    def open(cls, name: str, *, database: Database | str | None = None, **kwargs: Any) -> Monitor:
        """Open an existing monitor.

        Raises:
            NotFoundError: No monitor has that name.
        """
        db = database if isinstance(database, Database) else Database(database)
        with db.session() as session:
            if store.find_monitor(session, name) is None:
                raise NotFoundError(f"no monitor named {name!r}")
        return cls(name, database=db, **kwargs)

    # -- ingestion ---------------------------------------------------------------------

    def ingest(self, documents: Iterable[Document | dict[str, Any]]) -> IngestResult:
        """Analyse and store the documents not seen before, update the series, raise alerts.

        Args:
            documents: :class:`Document` objects or dicts with id, time, source and text.

        Returns:
            Counts of documents received, stored and already known, and the new alerts.

        Raises:
            DataError: A document is malformed (the message says which, by position).
        """
        batch: dict[str, Document] = {}
        received = 0
        for position, item in enumerate(documents):
            document = to_document(item, source="documents", line=position + 1)
            batch.setdefault(document.id, document)
            received += 1
        result = IngestResult(received=received)
        with self.database.session() as session:
            known = store.known_ids(session, self.id, list(batch))
            new = sorted((d for d in batch.values() if d.id not in known), key=lambda d: d.time)
            result.duplicates = received - len(new)
            if not new:
                return result
            analyses = self.analyzer.analyse([d.text for d in new])
            store.add_documents(session, self.id, new, analyses)
            triggers = [
                trigger
                for document, analysis in zip(new, analyses, strict=True)
                for key in analysis.keys
                for trigger in self.engine.on_document(key, document.time, analysis.sentiment)
            ]
            self._unsaved_mentions += sum(len(analysis.keys) for analysis in analyses)
            self._watermark = max(self._watermark or new[-1].time, new[-1].time)
            triggers += self._close_windows(session)
            stored = [self._store_alert(session, trigger) for trigger in triggers]
            alert_ids = [alert.id for alert in stored if alert is not None]
            session.flush()
            for alert in stored:
                if alert is not None:
                    delivery.queue(session, alert, self.settings.webhooks)
            checkpoint = self._due_checkpoint(session)
            session.commit()
        if checkpoint is not None:
            checkpoints.write(self.id, checkpoint)
        result.stored = len(new)
        if alert_ids and self.settings.webhooks:
            if self.delivery == "inline":
                delivery.send_now(self.database, alert_ids)
            else:
                delivery.worker_for(self.database).wake()
        with self.database.session() as session:
            result.alerts = store.alert_dicts(session, alert_ids)
        return result

    def replay(
        self,
        source: str | Path | Iterable[Document | dict[str, Any]],
        *,
        speed: float | None = None,
        batch_size: int = 64,
        on_batch: Callable[[IngestResult], None] | None = None,
    ) -> IngestResult:
        """Ingest a file's (or a list's) documents in time order, ``speed`` times faster
        than they were published (None: as fast as possible).

        Raises:
            DataError: The file or a document in it is malformed (with its line number).
            ConfigError: ``speed`` or ``batch_size`` is not positive.
        """
        documents = (
            read_documents(source)
            if isinstance(source, str | Path)
            else [to_document(item) for item in source]
        )
        total = IngestResult()
        for batch in replay(documents, speed=speed, batch_size=batch_size):
            done = self.ingest(batch)
            total.add(done)
            if on_batch is not None:
                on_batch(done)
        return total

    # -- reading -----------------------------------------------------------------------

    def series(
        self, key: str | None = None, *, start: Any = None, end: Any = None
    ) -> list[dict[str, Any]]:
        """Window points, oldest first: of one series (``entity:Apple``, ``topic:business``)
        or of all; each with key, window_end, volume, mean_sentiment, share_negative."""
        from open_interpreter.apps.monitor.documents import parse_time

        with self.database.session() as session:
            return store.points(
                session,
                self.id,
                key,
                start=None if start is None else parse_time(start),
                end=None if end is None else parse_time(end),
            )

    def keys(self) -> list[str]:
        """Every series with at least one stored window."""
        with self.database.session() as session:
            return store.keys(session, self.id)

    def alerts(self, *, key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Stored alerts, the newest first, with the documents behind each."""
        with self.database.session() as session:
            found = store.alerts(session, self.id, key=key, limit=limit)
            return store.alert_dicts(session, [a.id for a in found])

    # -- inside ------------------------------------------------------------------------

    @property
    def analyzer(self) -> Any:
        """The document analyzer; the default one is built (and trained once) on first use."""
        if self._analyzer is None:
            from open_interpreter.apps.monitor.pipeline import default_analyzer

            self._analyzer = default_analyzer(self.settings, database=self.database)
        return self._analyzer

    def _close_windows(self, session: Any) -> list[Trigger]:
        window = timedelta(minutes=self.settings.window_minutes)
        step = timedelta(minutes=self.settings.step_minutes)
        assert self._watermark is not None
        since = (self._last_end - window) if self._last_end else datetime.min
        seen = store.observations(session, self.id, since, self._watermark)
        ends = due_window_ends(
            (o.time for o in seen),
            after=self._last_end,
            watermark=self._watermark,
            window=window,
            step=step,
        )
        if not ends:
            return []
        points = aggregate(seen, ends, window)
        store.add_points(session, self.id, points, self.settings.window_minutes)
        session.flush()
        self._last_end = ends[-1]
        return [
            trigger
            for end in ends
            for key, point in sorted(points[end].items())
            for trigger in self.engine.on_window(key, end, point)
        ]

    def _history(
        self, key: str, n: int, min_volume: int = 1, before: datetime | None = None
    ) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return store.points(session, self.id, key, last=n, min_volume=min_volume, before=before)

    def _restore_detectors(self) -> None:
        """Rebuild the change detectors and cool-downs as they were before a restart:
        the detectors of the latest checkpoint that still matches (:mod:`checkpoints`),
        then every stored mention after it (all of them without one) goes through the
        ADWIN / Page–Hinkley rules again in the order it was first fed (the mentions'
        insertion order), and each rule's last stored alert per series restarts its
        cool-down. Deterministic, so a monitor reopened mid-stream raises the alerts an
        uninterrupted one would."""
        watching = any(rule.kind not in WINDOW_KINDS for rule in self.settings.rules)
        with self.database.session() as session:
            if watching:
                after = 0
                found = checkpoints.load(session, self.id, self.settings.rules)
                if found is not None:
                    self.engine.load_detectors(found.detectors)
                    after = found.last_mention_id
                for key, time, sentiment in store.mention_stream(session, self.id, after):
                    self.engine.on_document(key, time, sentiment)
                    self.replayed_mentions += 1
            for (rule, key), time in store.last_alert_times(session, self.id).items():
                self.engine.note_alert(rule, key, time)
            self._unsaved_mentions = self.replayed_mentions
            data = self._due_checkpoint(session)
        if data is not None:
            checkpoints.write(self.id, data)

    def _due_checkpoint(self, session: Any) -> bytes | None:
        """A checkpoint of the detectors once :data:`checkpoints.EVERY` mentions were fed
        since the last (taken in the transaction that stored them; written after it)."""
        rules = self.settings.rules
        if self._unsaved_mentions < checkpoints.EVERY or not checkpoints.fingerprints(rules):
            return None
        self._unsaved_mentions = 0
        return checkpoints.snapshot(session, self.id, rules, self.engine.detectors)

    def _store_alert(self, session: Any, trigger: Trigger) -> Any:
        window = timedelta(minutes=self.settings.window_minutes)
        behind = store.documents_behind(
            session, self.id, trigger.key, trigger.time - window, trigger.time
        )
        return store.add_alert(session, self.id, trigger, behind)
