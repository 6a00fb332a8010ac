"""The monitor's tables: monitors, their documents, entity and topic mentions, the
windowed time series, and alerts with the documents behind them.

Created by migration ``0006``; ``0010`` adds the owner of a monitor (the API key that
made it over the API) and ``monitor_deliveries``, the queue of webhook deliveries sent in
the background. Document ids are the client's own (unique per monitor), so
a batch sent twice stores each document once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, owner_column, utcnow


class MonitorRecord(Base):
    """A monitor: its name and settings (aliases, rules, webhooks, windows)."""

    __tablename__ = "monitors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    settings: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("monitors")


class MonitorDocument(Base):
    """One ingested document and what the analysis found in it."""

    __tablename__ = "monitor_documents"
    __table_args__ = (
        UniqueConstraint("monitor_id", "document_id", name="uq_monitor_documents_id"),
        Index("ix_monitor_documents_time", "monitor_id", "time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(50))
    sentiment: Mapped[float | None]
    entities: Mapped[list[Any]]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitorMention(Base):
    """A document counted under one series key (``entity:Apple``, ``topic:business``)."""

    __tablename__ = "monitor_mentions"
    __table_args__ = (Index("ix_monitor_mentions_time", "monitor_id", "time"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    document_pk: Mapped[int] = mapped_column(ForeignKey("monitor_documents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    time: Mapped[datetime]
    sentiment: Mapped[float]
    negative: Mapped[bool]


class MonitorPoint(Base):
    """One window of one series: volume, mean sentiment and share negative."""

    __tablename__ = "monitor_series"
    __table_args__ = (
        UniqueConstraint("monitor_id", "key", "window_end", name="uq_monitor_series_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    window_end: Mapped[datetime]
    window_minutes: Mapped[int]
    volume: Mapped[int]
    mean_sentiment: Mapped[float]
    share_negative: Mapped[float]


class MonitorAlert(Base):
    """An alert a rule raised, the documents that caused it, and its deliveries."""

    __tablename__ = "monitor_alerts"
    __table_args__ = (
        UniqueConstraint("monitor_id", "dedup_key", name="uq_monitor_alerts_dedup"),
        Index("ix_monitor_alerts_time", "monitor_id", "time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    time: Mapped[datetime]
    value: Mapped[float]
    message: Mapped[str] = mapped_column(Text)
    document_ids: Mapped[list[Any]]
    dedup_key: Mapped[str] = mapped_column(String(64))
    deliveries: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitorDelivery(Base):
    """One alert on its way to one webhook: tried in the background until it is delivered,
    refused, or out of retries (``status``: pending, delivered, failed)."""

    __tablename__ = "monitor_deliveries"
    __table_args__ = (Index("ix_monitor_deliveries_due", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("monitor_alerts.id", ondelete="CASCADE"))
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_try_at: Mapped[datetime]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
