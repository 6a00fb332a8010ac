"""The support assistant's tables: knowledge bases, their entries (with embeddings) and
hand-off events (migration ``0005``); assistants served by the API, their conversations
(sessions and turns) and the feedback given on turns (migration ``0009``); an
assistant's hand-off webhook and each hand-off's delivery (migration ``0017``).

An embedding is stored as the raw bytes of a float32 vector (``LargeBinary``: ``BLOB`` on
SQLite, ``bytea`` on PostgreSQL), with the encoder that made it named on its knowledge
base, so the vectors are read back without parsing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, owner_column, utcnow


class KnowledgeBaseRow(Base):
    """A named knowledge base; ``version`` grows by one with every ingest that changes it."""

    __tablename__ = "assistant_knowledge_bases"
    __table_args__ = (UniqueConstraint("name", name="uq_assistant_knowledge_bases_name"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    encoder: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryRow(Base):
    """One entry of a knowledge base, with its content hash and embedding."""

    __tablename__ = "assistant_entries"
    __table_args__ = (UniqueConstraint("kb_id", "entry_id", name="uq_assistant_entries_kb_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kb_id: Mapped[int] = mapped_column(
        ForeignKey(
            "assistant_knowledge_bases.id", name="fk_assistant_entries_kb_id", ondelete="CASCADE"
        ),
        index=True,
    )
    entry_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoffRow(Base):
    """A question the assistant passed to a person instead of answering, and why."""

    __tablename__ = "assistant_handoffs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kb_name: Mapped[str] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class AssistantRow(Base):
    """An assistant served by the API: a knowledge base (named by the assistant's id) and
    its answering settings; it belongs to the key that created it."""

    __tablename__ = "assistants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kb_name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    encoder: Mapped[str] = mapped_column(String(500))
    threshold: Mapped[float] = mapped_column(Float)
    top_k: Mapped[int] = mapped_column(default=3)
    num_entries: Mapped[int] = mapped_column(default=0)
    owner_key_id: Mapped[str | None] = owner_column("assistants")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handoff_webhook: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class ConversationRow(Base):
    """A conversation with an assistant: its turns are read in order as the history."""

    __tablename__ = "assistant_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", name="fk_assistant_sessions_assistant_id"), index=True
    )
    owner_key_id: Mapped[str | None] = owner_column("assistant_sessions")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TurnRow(Base):
    """One question of a conversation and what the assistant did with it. ``query`` is what
    retrieval was asked: the question, or the question joined to the history's."""

    __tablename__ = "assistant_turns"
    __table_args__ = (UniqueConstraint("session_id", "number", name="uq_assistant_turns_number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("assistant_sessions.id", name="fk_assistant_turns_session_id"), index=True
    )
    number: Mapped[int] = mapped_column()
    question: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    route: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    handed_off: Mapped[bool] = mapped_column(default=False)
    handoff_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    handoff_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_handoffs.id", name="fk_assistant_turns_handoff_id"), default=None
    )
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackRow(Base):
    """A user's judgement of a turn: thumbs up or down and/or a corrected answer, kept as
    training material (question, correction)."""

    __tablename__ = "assistant_feedback"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_turns.id", name="fk_assistant_feedback_turn_id"), index=True
    )
    rating: Mapped[str | None] = mapped_column(String(8), default=None)
    correction: Mapped[str | None] = mapped_column(Text, default=None)
    owner_key_id: Mapped[str | None] = owner_column("assistant_feedback")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
