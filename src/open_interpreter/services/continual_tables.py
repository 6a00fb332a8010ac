"""The tables of continual learning in serving: user feedback, drift events, and each
model's retraining policy (migration ``0013``); each served version's drift window
(migration ``0016``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, owner_column, utcnow


class Feedback(Base):
    """One labelled example a client sent back for a model (a correction of a prediction)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_model_id", "model_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(ForeignKey("models.name", ondelete="CASCADE"))
    version: Mapped[int]  # the version that served the model when the feedback came
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[list[Any] | None]  # NER: the words the tags belong to
    label: Mapped[str | None] = mapped_column(String(200))  # a text classifier's
    tags: Mapped[list[Any] | None]  # NER: one tag per word
    predicted: Mapped[Any | None] = mapped_column(JSON)  # what the model said, as sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("feedback")


class DriftEvent(Base):
    """A served version's predictions drifted from its baseline (recorded when it starts)."""

    __tablename__ = "drift_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    label_psi: Mapped[float | None] = mapped_column(Double)
    confidence_psi: Mapped[float | None] = mapped_column(Double)
    window_size: Mapped[int]  # predictions in the window
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[str | None] = mapped_column(String(32))  # the continue job it queued
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetrainingPolicy(Base):
    """When to queue a continue job for a registered model, and how it trains."""

    __tablename__ = "retraining_policies"

    model_name: Mapped[str] = mapped_column(
        ForeignKey("models.name", ondelete="CASCADE"), primary_key=True
    )
    after_feedback: Mapped[int | None]  # queue once this many new feedback rows came
    on_drift: Mapped[bool] = mapped_column(default=False)
    min_feedback: Mapped[int] = mapped_column(default=1)  # new rows a drift trigger needs
    strategy: Mapped[str] = mapped_column(String(16), default="replay")
    margin: Mapped[float] = mapped_column(Double, default=0.01)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The continue job queued last; no other is queued while it is queued or running.
    pending_job_id: Mapped[str | None] = mapped_column(String(32))
    # Feedback rows up to this id went into a queued job already.
    feedback_used_until: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("retraining_policies")


class StoredDriftWindow(Base):
    """A served version's drift window as last saved, so a restarted server resumes it:
    its observations (``[labels, confidence]``, oldest first) and whether it was drifted."""

    __tablename__ = "drift_windows"

    model_name: Mapped[str] = mapped_column(
        ForeignKey("models.name", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    observations: Mapped[list[Any]]
    drifted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
