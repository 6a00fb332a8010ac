"""Knowledge bases in the database: ingest (only what changed is re-embedded), read back
with their embeddings, delete entries or whole bases, and record hand-offs.

Example:
    >>> store = KnowledgeStore(Database())  # doctest: +SKIP
    >>> store.ingest("support", read_faq("faq.csv"), encoder)  # doctest: +SKIP
    IngestReport(name='support', version=1, added=503, updated=0, unchanged=0, removed=0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select

from open_interpreter.apps.assistant.knowledge import Entry
from open_interpreter.apps.assistant.tables import EntryRow, HandoffRow, KnowledgeBaseRow
from open_interpreter.errors import ConflictError, NotFoundError
from open_interpreter.storage import Database
from open_interpreter.storage.tables import utcnow


@dataclass(frozen=True)
class IngestReport:
    """What an ingest changed; ``version`` is the base's version after it."""

    name: str
    version: int
    added: int
    updated: int
    unchanged: int
    removed: int


@dataclass
class StoredKnowledge:
    """A knowledge base read back: its entries and their embeddings, row for row."""

    name: str
    encoder: str
    version: int
    entries: list[Entry]
    embeddings: np.ndarray


class KnowledgeStore:
    """The knowledge bases and hand-offs of one database."""

    def __init__(self, database: Database):
        self.database = database

    def ingest(
        self, name: str, entries: Sequence[Entry], encoder: Any, *, replace: bool = False
    ) -> IngestReport:
        """Add ``entries`` to the base ``name`` (made if new); embed only new or changed ones.

        Args:
            name: The knowledge base.
            entries: Entries to add or update (matched by id, compared by content hash).
            encoder: Has ``encode(texts) -> [n, dim]`` and ``name``.
            replace: Also remove the base's entries that are not in ``entries``.

        Raises:
            ConflictError: The base exists with vectors from another encoder.
        """
        with self.database.session() as session:
            base = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name))
            if base is None:
                base = KnowledgeBaseRow(name=name, encoder=encoder.name, version=0)
                session.add(base)
                session.flush()
            elif base.encoder != encoder.name:
                raise ConflictError(
                    f"knowledge base {name!r} holds {base.encoder} vectors; "
                    f"ingest with that encoder, or delete the base first"
                )
            stored = {row.entry_id: row for row in session.scalars(_rows_of(base.id))}
            changed = [e for e in entries if _hash_of(stored.get(e.id)) != e.content_hash]
            vectors = encoder.encode([e.search_text for e in changed]) if changed else []
            version = base.version + 1
            for entry, vector in zip(changed, vectors, strict=True):
                _write(session, base.id, stored.get(entry.id), entry, vector, version)
            gone = set(stored) - {e.id for e in entries} if replace else set()
            for entry_id in gone:
                session.delete(stored[entry_id])
            if changed or gone:
                base.version, base.updated_at = version, utcnow()
            session.commit()
            added = sum(e.id not in stored for e in changed)
            return IngestReport(
                name, base.version, added, len(changed) - added, len(entries) - len(changed),
                len(gone),
            )  # fmt: skip

    def load(self, name: str) -> StoredKnowledge:
        """Read the base ``name`` with its embeddings, in entry-id order.

        Raises:
            NotFoundError: No such base.
        """
        with self.database.session() as session:
            base = self._base(session, name)
            rows = list(session.scalars(_rows_of(base.id).order_by(EntryRow.entry_id)))
        entries = [Entry(r.entry_id, r.text, r.answer, r.source, r.category) for r in rows]
        vectors = [np.frombuffer(r.embedding, dtype=np.float32) for r in rows]
        embeddings = np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)
        return StoredKnowledge(base.name, base.encoder, base.version, entries, embeddings)

    def names(self) -> list[str]:
        """The knowledge bases, by name."""
        with self.database.session() as session:
            return list(session.scalars(select(KnowledgeBaseRow.name).order_by("name")))

    def delete_entries(self, name: str, entry_ids: Sequence[str]) -> int:
        """Remove entries by id; returns how many there were (the version grows if any)."""
        with self.database.session() as session:
            base = self._base(session, name)
            removed = session.execute(
                delete(EntryRow).where(EntryRow.kb_id == base.id, EntryRow.entry_id.in_(entry_ids))
            ).rowcount
            if removed:
                base.version, base.updated_at = base.version + 1, utcnow()
            session.commit()
            return removed

    def delete(self, name: str) -> None:
        """Remove the base ``name`` and its entries.

        Raises:
            NotFoundError: No such base.
        """
        with self.database.session() as session:
            base = self._base(session, name)
            session.execute(delete(EntryRow).where(EntryRow.kb_id == base.id))
            session.delete(base)
            session.commit()

    def record_handoff(
        self,
        name: str,
        question: str,
        reason: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> int:
        """Store a hand-off event; returns its id."""
        with self.database.session() as session:
            row = HandoffRow(
                kb_name=name, question=question, reason=reason[:500], intent=intent,
                confidence=confidence,
            )  # fmt: skip
            session.add(row)
            session.commit()
            return row.id

    def handoffs(self, name: str, *, limit: int = 100) -> list[HandoffRow]:
        """The newest hand-offs of the base ``name``, newest first."""
        with self.database.session() as session:
            query = (
                select(HandoffRow)
                .where(HandoffRow.kb_name == name)
                .order_by(HandoffRow.id.desc())
                .limit(limit)
            )
            return list(session.scalars(query))

    @staticmethod
    def _base(session: Any, name: str) -> KnowledgeBaseRow:
        base = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name))
        if base is None:
            raise NotFoundError(f"no knowledge base named {name!r}")
        return base


def _rows_of(kb_id: int) -> Any:
    return select(EntryRow).where(EntryRow.kb_id == kb_id)


def _hash_of(row: EntryRow | None) -> str | None:
    return None if row is None else row.content_hash


def _write(
    session: Any, kb_id: int, row: EntryRow | None, entry: Entry, vector: Any, version: int
) -> None:
    values = {
        "text": entry.text,
        "answer": entry.answer,
        "source": entry.source,
        "category": entry.category,
        "content_hash": entry.content_hash,
        "embedding": np.asarray(vector, dtype=np.float32).tobytes(),
        "version": version,
        "updated_at": utcnow(),
    }
    if row is None:
        session.add(EntryRow(kb_id=kb_id, entry_id=entry.id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
