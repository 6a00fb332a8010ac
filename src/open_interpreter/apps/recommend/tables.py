"""The recommender's tables: uploaded interaction and item files, and feedback events.

- ``recommender_files``: an uploaded interactions or items table (CSV/TSV), validated in
  full when it arrived and kept as an artifact; a training job names them by id.
- ``recommender_events``: what users did with recommendations (``click``, ``like``...),
  recorded through ``POST /v1/recommenders/{name}/events``.

Created by migration ``0011``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, owner_column, utcnow


class InteractionFile(Base):
    """An uploaded interactions or items table for training recommenders."""

    __tablename__ = "recommender_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # "interactions" or "items"
    format: Mapped[str] = mapped_column(String(8))
    rows: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    path: Mapped[str] = mapped_column(String(500))
    preview: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("recommender_files")


class FeedbackEvent(Base):
    """One thing a user did with an item a recommender showed them."""

    __tablename__ = "recommender_events"
    __table_args__ = (Index("ix_recommender_events_model_user", "model_name", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("recommender_events")
