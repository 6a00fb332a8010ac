"""The support assistant's tables: knowledge bases, their entries (with embeddings) and
hand-off events. Created by migration ``0005``.

An embedding is stored as the raw bytes of a float32 vector (``LargeBinary``: ``BLOB`` on
SQLite, ``bytea`` on PostgreSQL), with the encoder that made it named on its knowledge
base, so the vectors are read back without parsing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from open_interpreter.storage.tables import Base, utcnow


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
