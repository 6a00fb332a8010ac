"""The tables of studies run as jobs: one row per study, one per trial (and its job).

Optuna keeps its own record of each study (trials, parameters, reported epochs) in its
RDB storage (:mod:`open_interpreter.tuning.storage`); these rows add what the platform
needs around it: who owns the study, which datasets and base settings it trains, and which
fine-tune job runs each trial. Created by migration ``0007``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, owner_column, utcnow


class TuningStudy(Base):
    """A hyperparameter study whose trials run as fine-tune jobs."""

    __tablename__ = "tuning_studies"
    __table_args__ = (Index("ix_tuning_studies_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    model_name: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(40))
    config: Mapped[dict[str, Any]]
    search: Mapped[dict[str, Any]]
    train_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    validation_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    register_best: Mapped[bool] = mapped_column(default=False)
    best_trial: Mapped[int | None]
    best_value: Mapped[float | None]
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    advancing_until: Mapped[datetime | None]
    owner_key_id: Mapped[str | None] = owner_column("tuning_studies")


class TuningTrial(Base):
    """One trial of a study: the fine-tune job that trains it, and how it ended."""

    __tablename__ = "tuning_trials"
    __table_args__ = (UniqueConstraint("study_id", "number", name="uq_tuning_trials_number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("tuning_studies.id"), index=True)
    number: Mapped[int]
    optuna_trial_id: Mapped[int]
    job_id: Mapped[str] = mapped_column(ForeignKey("fine_tune_jobs.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="running")
    params: Mapped[dict[str, Any]]
    baseline: Mapped[bool] = mapped_column(default=False)
    value: Mapped[float | None]
    pruned_at: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
