"""The database tables: API keys, datasets, registered models and versions, fine-tune jobs
and their events, evaluations, prompt-library versions, the audit log.

Ids are short prefixed strings (``ds_…``, ``ft_…``) so they read well in URLs and logs.
Everything a row points at on disk lives under ``$OI_HOME/artifacts`` and is stored here
as a path relative to it. Datasets, jobs and evaluations belong to the API key that made
them (``owner_key_id``; empty for rows made without a key: the CLI, a server without keys).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None, for JSON columns (PostgreSQL's JSON has
    no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def utcnow() -> datetime:
    """The current UTC time, stored without a zone (the same on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base class of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def owner_column(table: str) -> Mapped[str | None]:
    """The API key a row belongs to (indexed: lists filter by it); None without a key."""
    return mapped_column(
        String(32),
        ForeignKey("api_keys.id", name=f"fk_{table}_owner_key_id"),
        index=True,
        default=None,
    )


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Dataset(Base):
    """An uploaded, validated data file."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))
    shape: Mapped[str] = mapped_column(String(16))  # "texts" or "tokens"
    num_examples: Mapped[int]
    labels: Mapped[list[Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    path: Mapped[str] = mapped_column(String(500))
    preview: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("datasets")


class RegisteredModel(Base):
    """A named model in the registry; its versions hold the weights."""

    __tablename__ = "models"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    task: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersion(Base):
    """One saved model directory of a registered model, with its metrics and lineage."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(ForeignKey("models.name", ondelete="CASCADE"))
    version: Mapped[int]
    stage: Mapped[str] = mapped_column(String(16), default="none")  # none | production | archived
    path: Mapped[str] = mapped_column(String(500))
    base_model: Mapped[str] = mapped_column(String(300))
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it last became production; rollback returns to the most recent earlier one.
    promoted_at: Mapped[datetime | None]


class FineTuneJob(Base):
    """A fine-tuning job: queued, claimed by a worker, run in a child process."""

    __tablename__ = "fine_tune_jobs"
    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    model_name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]]
    # None for a run recorded from the CLI or Python (its data was a local file or list)
    train_dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"))
    validation_dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"))
    test_dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"))
    # "server" (a queued job), or "cli" / "python": a local fine-tune recorded as it ran
    # (services/runs.py); workers never claim or requeue those.
    source: Mapped[str] = mapped_column(String(16), default="server", server_default="server")
    # "fine_tune", or another kind of queued job (services/job_kinds.py); what that kind's
    # run returned is kept in ``result``.
    kind: Mapped[str] = mapped_column(String(32), default="fine_tune", server_default="fine_tune")
    result: Mapped[dict[str, Any] | None]
    # What a worker needs to claim it (services/job_queue.py, docs/scale-out.md):
    # training processes, GPUs, memory (0: not stated).
    needs_processes: Mapped[int] = mapped_column(default=1, server_default="1")
    needs_gpus: Mapped[int] = mapped_column(default=0, server_default="0")
    needs_memory_mb: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    owner_key_id: Mapped[str | None] = owner_column("fine_tune_jobs")


class JobEvent(Base):
    """Something that happened in a job: a step, an evaluation, a status change, a log line."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("fine_tune_jobs.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evaluation(Base):
    """A stored evaluation report of a model version on a dataset."""

    __tablename__ = "evaluations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_key_id: Mapped[str | None] = owner_column("evaluations")


class PromptVersion(Base):
    """One version of a prompt-library template; rows are added, never changed.

    The columns are :class:`~open_interpreter.prompting.SavedPrompt`'s; ``variables`` and
    ``content_hash`` (SHA-256 of the text and system message) are derived from the
    template, kept so that rows can be compared and read without parsing Jinja2.
    """

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_prompt_versions_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    system: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    variables: Mapped[list[Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Something done to keys or registered models, by whom, from where; rows are only added.

    ``actor`` names who did it: an API key's name and prefix, ``cli``, or ``local`` (a
    server without keys); ``target`` what it was done to (``ner@3``, ``ner``, a key id).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_target", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(300))
    actor_key_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_address: Mapped[str | None] = mapped_column(String(100))
