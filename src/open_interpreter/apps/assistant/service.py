"""Assistants as stored resources, shared by the REST API, the dashboard and ``oi assistant
chat``: create one from a file, a stored dataset or a packaged FAQ; list, read, delete;
ask (one-off or in a conversation); feedback on turns; the hand-off queue.

No HTTP here. Who may do what (docs/assistant.md, REST):

- every caller may list, read and ask an assistant (the API asks a ``predict`` key);
- an assistant belongs to the key that created it: only that key or an admin key (the
  CLI, a server without keys) deletes it, reads its hand-offs or resolves them
  (:class:`NotOwnerError` otherwise);
- a conversation belongs to the key that started it: another key's reads as missing.

An assistant's knowledge base is named by the assistant's id (so two keys may use the
same display name). Loaded assistants (retrieval indexes, encoder) are kept in memory per
database and reloaded when their knowledge base's version changes.

Example:
    >>> row = create_assistant(db, name="support", entries=read_faq("faq.csv"),
    ...                        source="file faq.csv")  # doctest: +SKIP
    >>> conversation = start_session(db, row.id)  # doctest: +SKIP
    >>> ask(db, row.id, "How long does it take?", session_id=conversation.id)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from open_interpreter.apps.assistant.assistant import DEFAULT_THRESHOLD, Assistant, Reply
from open_interpreter.apps.assistant.handoff_webhooks import send_handoff, webhook_view
from open_interpreter.apps.assistant.knowledge import (
    DOCUMENT_EXTENSIONS,
    FAQ_EXTENSIONS,
    Entry,
    read_knowledge,
)
from open_interpreter.apps.assistant.retrieval import NamedEncoder
from open_interpreter.apps.assistant.sessions import retrieval_query
from open_interpreter.apps.assistant.store import KnowledgeStore
from open_interpreter.apps.assistant.tables import (
    AssistantRow,
    ConversationRow,
    EntryRow,
    FeedbackRow,
    HandoffRow,
    TurnRow,
)
from open_interpreter.errors import (
    ConflictError,
    DataError,
    NotFoundError,
    OpenInterpreterError,
)
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.webhooks import Webhook
from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.tables import utcnow

MAX_ENTRIES = 2000
"""The most entries an assistant created through the service holds (embedding them all
takes about a minute on two CPU cores)."""
MAX_CORRECTION_CHARS = 4000
PACKAGED_FAQS = {"zaragoza": ("zaragoza_construction_faq", "data/faq-en.csv")}
"""FAQs shipped in installed packages, by the name ``faq=`` takes."""
RATINGS = ("up", "down")


class NotOwnerError(OpenInterpreterError, PermissionError):
    """The caller may use the assistant but not change it: it is another key's."""


# -- where the entries come from -------------------------------------------------------


def entries_from_upload(filename: str, data: bytes) -> list[Entry]:
    """Read an uploaded FAQ (``.csv``, ``.jsonl``) or document (``.md``, ``.txt``).

    Raises:
        DataError: An extension neither kind has, or a malformed file (the message names
            ``filename`` and the line, never a server path).
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in FAQ_EXTENSIONS | DOCUMENT_EXTENSIONS:
        kinds = sorted(FAQ_EXTENSIONS | DOCUMENT_EXTENSIONS)
        raise DataError(f"{filename!r}: an assistant reads {', '.join(kinds)} files")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(filename).name or f"upload{suffix}")
        path.write_bytes(data)
        try:
            return read_knowledge(path)
        except (DataError, UnicodeDecodeError) as exc:
            raise DataError(_hide(str(exc), {str(path): filename, folder: ""})) from None


def entries_from_dataset(
    database: Database, dataset_id: str, caller: Caller = LOCAL
) -> list[Entry]:
    """The pairs of a stored dataset (``/v1/datasets``): each row's ``text`` is a question,
    its ``label`` the answer; ids are ``row-1``, ``row-2``... in file order.

    Raises:
        NotFoundError: No such dataset the caller sees.
        DataError: A dataset of tokens, or one without labels.
    """
    from open_interpreter.data.examples import TextExamples
    from open_interpreter.services.datasets import get_dataset, load_examples

    with database.session() as session:
        dataset = get_dataset(session, dataset_id, caller=caller)
        if dataset is None:
            raise NotFoundError(f"no dataset {dataset_id!r}")
        try:
            examples = load_examples(dataset)
        except DataError as exc:
            raise DataError(
                _hide(str(exc), {str(artifacts.resolve(dataset.path)): dataset.name})
            ) from None
    if not isinstance(examples, TextExamples) or examples.labels is None:
        raise DataError(
            f"dataset {dataset_id!r} is not question/answer pairs: upload a CSV or JSON Lines "
            "file with the question as 'text' and the answer as 'label'"
        )
    return [
        Entry(f"row-{i}", str(text), str(label))
        for i, (text, label) in enumerate(zip(examples.texts, examples.labels, strict=True), 1)
    ]


def entries_from_package(name: str) -> list[Entry]:
    """The entries of a packaged FAQ (:data:`PACKAGED_FAQS`).

    Raises:
        NotFoundError: Not a packaged FAQ's name, or its package is not installed.
    """
    if name not in PACKAGED_FAQS:
        raise NotFoundError(f"no packaged FAQ {name!r}; there are {sorted(PACKAGED_FAQS)}")
    package, relative = PACKAGED_FAQS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise NotFoundError(f"the packaged FAQ {name!r} needs the {package} package installed")
    return read_knowledge(Path(spec.submodule_search_locations[0]) / relative)


# -- assistants ------------------------------------------------------------------------


def create_assistant(
    database: Database,
    *,
    name: str,
    entries: Sequence[Entry],
    source: str,
    encoder: str = "minilm-l6",
    threshold: float = DEFAULT_THRESHOLD,
    top_k: int = 3,
    caller: Caller = LOCAL,
    handoff_webhook: Webhook | None = None,
) -> AssistantRow:
    """Embed ``entries`` into a new knowledge base and record the assistant as ``caller``'s.

    ``handoff_webhook``: where each hand-off is POSTed (see
    :mod:`~open_interpreter.apps.assistant.handoff_webhooks`).

    Raises:
        DataError: No entries, more than :data:`MAX_ENTRIES`, or settings out of range.
    """
    if not entries:
        raise DataError("the knowledge base has no entries")
    if len(entries) > MAX_ENTRIES:
        raise DataError(f"an assistant holds at most {MAX_ENTRIES} entries, got {len(entries)}")
    for entry in entries:  # PostgreSQL cannot store a NUL in text; refused everywhere
        if any(
            "\x00" in value
            for value in (entry.id, entry.text, entry.answer, entry.source, entry.category)
        ):
            raise DataError(f"entry {entry.id[:40]!r} holds a NUL character")
    if not 0.0 <= threshold <= 1.0 or not 1 <= top_k <= 20:
        raise DataError(f"need 0 <= threshold <= 1 and 1 <= top_k <= 20: {threshold=}, {top_k=}")
    assistant_id = artifacts.new_id("as")
    KnowledgeStore(database).ingest(assistant_id, entries, _encoder(encoder), replace=True)
    row = AssistantRow(
        id=assistant_id, name=name, kb_name=assistant_id, source=source[:300], encoder=encoder,
        threshold=threshold, top_k=top_k, num_entries=len(entries), owner_key_id=caller.key_id,
        handoff_webhook=handoff_webhook.model_dump(mode="json") if handoff_webhook else None,
    )  # fmt: skip
    with database.session() as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        session.expunge(row)
    return row


def find_assistant(
    database: Database, name: str, *, threshold: float | None = None, caller: Caller = LOCAL
) -> AssistantRow:
    """The assistant ``name`` names: an assistant's id, else the newest assistant of that
    name, else a knowledge base built by ``oi assistant build NAME``, which then gets an
    assistant of its own (that assistant's deletion leaves the knowledge base alone).

    Raises:
        NotFoundError: None of these.
    """
    from open_interpreter.apps.assistant.tables import KnowledgeBaseRow

    with database.session() as session:
        row = session.get(AssistantRow, name) or session.scalar(
            select(AssistantRow)
            .where(AssistantRow.name == name)
            .order_by(AssistantRow.created_at.desc())
            .limit(1)
        )
        if row is None:
            base = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name))
            if base is None:
                raise NotFoundError(f"no assistant or knowledge base named {name!r}")
            count = session.scalar(
                select(func.count()).select_from(EntryRow).where(EntryRow.kb_id == base.id)
            )
            row = AssistantRow(
                id=artifacts.new_id("as"), name=name, kb_name=name,
                source=f"knowledge base {name}", encoder=base.encoder,
                threshold=DEFAULT_THRESHOLD if threshold is None else threshold, top_k=3,
                num_entries=count or 0, owner_key_id=caller.key_id,
            )  # fmt: skip
            session.add(row)
            session.commit()
            session.refresh(row)
        session.expunge(row)
    return row


def list_assistants(
    database: Database, *, limit: int = 50, offset: int = 0
) -> tuple[list[AssistantRow], int]:
    """A page of the assistants, newest first, and their total count."""
    with database.session() as session:
        rows = session.scalars(
            select(AssistantRow)
            .order_by(AssistantRow.created_at.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        total = session.scalar(select(func.count()).select_from(AssistantRow)) or 0
        session.expunge_all()
    return list(rows), total


def get_assistant(database: Database, assistant_id: str) -> AssistantRow:
    """The assistant ``assistant_id``.

    Raises:
        NotFoundError: No such assistant.
    """
    with database.session() as session:
        row = session.get(AssistantRow, assistant_id)
        if row is None:
            raise NotFoundError(f"no assistant {assistant_id!r}")
        session.expunge(row)
    return row


def delete_assistant(database: Database, assistant_id: str, *, caller: Caller = LOCAL) -> None:
    """Remove the assistant with its conversations, feedback, hand-offs and knowledge base.

    Raises:
        NotFoundError: No such assistant.
        NotOwnerError: It is another key's and the caller is not an admin.
    """
    row = _owned(database, assistant_id, caller)
    with database.session() as session:
        sessions = select(ConversationRow.id).where(ConversationRow.assistant_id == row.id)
        turns = select(TurnRow.id).where(TurnRow.session_id.in_(sessions))
        session.execute(delete(FeedbackRow).where(FeedbackRow.turn_id.in_(turns)))
        session.execute(delete(TurnRow).where(TurnRow.session_id.in_(sessions)))
        session.execute(delete(ConversationRow).where(ConversationRow.assistant_id == row.id))
        session.execute(delete(HandoffRow).where(HandoffRow.kb_name == row.kb_name))
        session.execute(delete(AssistantRow).where(AssistantRow.id == row.id))
        session.commit()
    if row.kb_name == row.id:  # its own; an adopted one (find_assistant) stays
        KnowledgeStore(database).delete(row.kb_name)
    with _LOCK:
        _LOADED.pop((database.url, row.id), None)


def assistant_view(row: AssistantRow) -> dict[str, Any]:
    """An assistant as plain data (what the API shows)."""
    return {
        "id": row.id,
        "name": row.name,
        "source": row.source,
        "encoder": row.encoder,
        "threshold": row.threshold,
        "top_k": row.top_k,
        "num_entries": row.num_entries,
        "created_at": row.created_at,
        "handoff_webhook": webhook_view(row),
    }


def set_handoff_webhook(
    database: Database, assistant_id: str, webhook: Webhook | None, *, caller: Caller = LOCAL
) -> AssistantRow:
    """Set (or, with None, remove) the webhook the assistant's hand-offs are POSTed to.

    Raises:
        NotFoundError: No such assistant.
        NotOwnerError: It is another key's and the caller is not an admin.
    """
    _owned(database, assistant_id, caller)
    with database.session() as session:
        row = session.get(AssistantRow, assistant_id)
        if row is None:
            raise NotFoundError(f"no assistant {assistant_id!r}")
        row.handoff_webhook = webhook.model_dump(mode="json") if webhook else None
        session.commit()
        session.refresh(row)
        session.expunge(row)
    return row


# -- asking ----------------------------------------------------------------------------


def ask(
    database: Database,
    assistant_id: str,
    question: str,
    *,
    session_id: str | None = None,
    caller: Caller = LOCAL,
) -> dict[str, Any]:
    """Answer ``question`` (or hand it off); in a conversation, resolve it against the
    previous turn (:func:`~open_interpreter.apps.assistant.sessions.retrieval_query`) and
    store it as the next turn. A hand-off is recorded in the assistant's queue.

    Returns:
        The turn: ``question``, ``query`` (what retrieval was asked), ``answer``, ``route``,
        ``confidence``, ``handed_off``, ``handoff_reason``, ``handoff_id``, ``citations``,
        ``timings_ms``; in a conversation also ``id``, ``number`` and ``session_id``.

    Raises:
        NotFoundError: No such assistant, or no such conversation of the caller's.
        DataError: An empty question or one over 2,000 characters.
    """
    question = question.strip() if isinstance(question, str) else ""
    bot = load(database, assistant_id)
    with database.session() as session:
        previous = None
        number = 1
        if session_id is not None:
            conversation = _conversation(session, assistant_id, session_id, caller)
            last = session.scalar(
                select(TurnRow)
                .where(TurnRow.session_id == conversation.id)
                .order_by(TurnRow.number.desc())
                .limit(1)
            )
            if last is not None:
                previous, number = last.query, last.number + 1
    query = retrieval_query(question, previous) if question else question
    reply = bot.ask(query)
    handoff_id = None
    if reply.handed_off:
        handoff_id = KnowledgeStore(database).record_handoff(
            bot.name, query, reply.handoff_reason or "", intent=reply.intent,
            confidence=reply.confidence,
        )  # fmt: skip
    turn = _turn_view(question, query, reply, handoff_id)
    if session_id is not None:
        turn.update(_store_turn(database, session_id, number, question, query, reply, turn))
    if handoff_id is not None:
        send_handoff(
            database, get_assistant(database, assistant_id), handoff_id, turn,
            session_id=session_id,
        )  # fmt: skip
    return turn


def _store_turn(
    database: Database,
    session_id: str,
    number: int,
    question: str,
    query: str,
    reply: Reply,
    turn: dict[str, Any],
) -> dict[str, Any]:
    """Store the turn as ``number``, or as the next free number when another request of
    the same conversation took it meanwhile."""
    for _ in range(3):
        with database.session() as session:
            row = TurnRow(
                session_id=session_id, number=number, question=question, query=query,
                answer=reply.answer, route=reply.route, confidence=reply.confidence,
                handed_off=reply.handed_off, handoff_reason=reply.handoff_reason,
                handoff_id=turn["handoff_id"], citations=turn["citations"],
            )  # fmt: skip
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                number = 1 + (
                    session.scalar(
                        select(func.max(TurnRow.number)).where(TurnRow.session_id == session_id)
                    )
                    or 0
                )
                continue
            return {"id": row.id, "number": number, "session_id": session_id,
                    "created_at": row.created_at}  # fmt: skip
    raise ConflictError(f"conversation {session_id!r} is busy: ask again")


def retrieval_debug(
    database: Database, assistant_id: str, question: str, *, k: int = 10
) -> list[dict[str, Any]]:
    """The ``k`` best candidates for ``question`` with their BM25, dense and fused ranks
    and cosine, best fused first (nothing is stored).

    Raises:
        NotFoundError: No such assistant.
        DataError: An empty question or one over 2,000 characters.
    """
    question = question.strip() if isinstance(question, str) else ""
    if not question or len(question) > 2000:
        raise DataError("a question has 1 to 2000 characters")
    bot = load(database, assistant_id)
    return [_citation_view(c) for c in bot.retrieve(question, max(1, min(k, 50)))]


# -- conversations and feedback --------------------------------------------------------


def start_session(database: Database, assistant_id: str, *, caller: Caller = LOCAL) -> dict:
    """Start a conversation with the assistant, as ``caller``'s.

    Raises:
        NotFoundError: No such assistant.
    """
    get_assistant(database, assistant_id)
    with database.session() as session:
        row = ConversationRow(
            id=artifacts.new_id("ses"), assistant_id=assistant_id, owner_key_id=caller.key_id
        )
        session.add(row)
        session.commit()
        return {
            "id": row.id,
            "assistant_id": assistant_id,
            "created_at": row.created_at,
            "turns": [],
        }


def get_session(
    database: Database, assistant_id: str, session_id: str, *, caller: Caller = LOCAL
) -> dict[str, Any]:
    """A conversation with its turns in order, each with the feedback given on it.

    Raises:
        NotFoundError: No such conversation of this assistant that the caller sees.
    """
    with database.session() as session:
        conversation = _conversation(session, assistant_id, session_id, caller)
        turns = session.scalars(
            select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.number)
        ).all()
        feedback = session.scalars(
            select(FeedbackRow)
            .where(FeedbackRow.turn_id.in_([t.id for t in turns]))
            .order_by(FeedbackRow.id)
        ).all()
        given: dict[int, list[dict[str, Any]]] = {}
        for item in feedback:
            given.setdefault(item.turn_id, []).append(_feedback_view(item))
        return {
            "id": conversation.id,
            "assistant_id": assistant_id,
            "created_at": conversation.created_at,
            "turns": [{**_stored_turn_view(t), "feedback": given.get(t.id, [])} for t in turns],
        }


def give_feedback(
    database: Database,
    assistant_id: str,
    session_id: str,
    turn_id: int,
    *,
    rating: str | None = None,
    correction: str | None = None,
    caller: Caller = LOCAL,
) -> dict[str, Any]:
    """Record a thumbs up/down and/or a corrected answer on a turn of the caller's
    conversation.

    Raises:
        NotFoundError: No such turn in such a conversation.
        DataError: Neither a rating nor a correction, a rating other than up/down, or a
            correction over 4,000 characters.
    """
    correction = correction.strip() if correction else None
    if rating is None and not correction:
        raise DataError("feedback needs a rating ('up' or 'down') or a correction")
    if rating is not None and rating not in RATINGS:
        raise DataError(f"a rating is 'up' or 'down', got {rating!r}")
    if correction and len(correction) > MAX_CORRECTION_CHARS:
        raise DataError(f"a correction has at most {MAX_CORRECTION_CHARS} characters")
    with database.session() as session:
        _conversation(session, assistant_id, session_id, caller)
        turn = session.get(TurnRow, turn_id)
        if turn is None or turn.session_id != session_id:
            raise NotFoundError(f"no turn {turn_id} in conversation {session_id!r}")
        row = FeedbackRow(
            turn_id=turn_id, rating=rating, correction=correction, owner_key_id=caller.key_id
        )
        session.add(row)
        session.commit()
        return _feedback_view(row)


def feedback_examples(database: Database, assistant_id: str) -> list[dict[str, Any]]:
    """The feedback on an assistant's turns as training material: each item's question,
    retrieval query, the answer given, the rating and the correction, oldest first."""
    with database.session() as session:
        rows = session.execute(
            select(FeedbackRow, TurnRow)
            .join(TurnRow, FeedbackRow.turn_id == TurnRow.id)
            .join(ConversationRow, TurnRow.session_id == ConversationRow.id)
            .where(ConversationRow.assistant_id == assistant_id)
            .order_by(FeedbackRow.id)
        ).all()
        return [
            {
                "question": turn.question,
                "query": turn.query,
                "answer": turn.answer,
                "rating": item.rating,
                "correction": item.correction,
            }
            for item, turn in rows
        ]


# -- hand-offs -------------------------------------------------------------------------


def list_handoffs(
    database: Database,
    assistant_id: str,
    *,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
    caller: Caller = LOCAL,
) -> tuple[list[dict[str, Any]], int]:
    """The assistant's hand-offs, newest first (``state``: ``open``, ``resolved`` or None
    for both), and their total count.

    Raises:
        NotFoundError: No such assistant.
        NotOwnerError: It is another key's and the caller is not an admin.
    """
    row = _owned(database, assistant_id, caller)
    query = select(HandoffRow).where(HandoffRow.kb_name == row.kb_name)
    if state == "open":
        query = query.where(HandoffRow.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(HandoffRow.resolved_at.is_not(None))
    elif state is not None:
        raise DataError(f"a hand-off's state is 'open' or 'resolved', got {state!r}")
    with database.session() as session:
        rows = session.scalars(
            query.order_by(HandoffRow.id.desc()).limit(limit).offset(offset)
        ).all()
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return [_handoff_view(h) for h in rows], total


def resolve_handoff(
    database: Database, assistant_id: str, handoff_id: int, *, caller: Caller = LOCAL
) -> dict[str, Any]:
    """Mark a hand-off resolved (resolving one already resolved changes nothing).

    Raises:
        NotFoundError: No such hand-off of this assistant.
        NotOwnerError: It is another key's and the caller is not an admin.
    """
    row = _owned(database, assistant_id, caller)
    with database.session() as session:
        handoff = session.get(HandoffRow, handoff_id)
        if handoff is None or handoff.kb_name != row.kb_name:
            raise NotFoundError(f"no hand-off {handoff_id} of assistant {assistant_id!r}")
        if handoff.resolved_at is None:
            handoff.resolved_at = utcnow()
            session.commit()
        return _handoff_view(handoff)


# -- loaded assistants -----------------------------------------------------------------

_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], tuple[int, Assistant]] = {}
_ENCODERS: dict[str, NamedEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def load(database: Database, assistant_id: str) -> Assistant:
    """The assistant ready to answer: loaded once per database and knowledge-base version.

    Raises:
        NotFoundError: No such assistant.
    """
    from open_interpreter.apps.assistant.tables import KnowledgeBaseRow

    row = get_assistant(database, assistant_id)
    with database.session() as session:
        version = session.scalar(
            select(KnowledgeBaseRow.version).where(KnowledgeBaseRow.name == row.kb_name)
        )
    if version is None:
        raise NotFoundError(f"assistant {assistant_id!r} has lost its knowledge base")
    key = (database.url, row.id)
    with _LOCK:
        cached = _LOADED.get(key)
        if cached is not None and cached[0] == version:
            bot = cached[1]
        else:
            bot = Assistant.from_database(
                row.kb_name, database, encoder=_encoder(row.encoder), threshold=row.threshold,
                top_k=row.top_k,
            )  # fmt: skip
            bot.store = None  # hand-offs are recorded by ask() above, with their turn
            _LOADED[key] = (version, bot)
    return bot


def _encoder(name: str) -> NamedEncoder:
    with _ENCODERS_LOCK:
        if name not in _ENCODERS:
            _ENCODERS[name] = NamedEncoder(name)
        return _ENCODERS[name]


def use_encoder(encoder: NamedEncoder) -> None:
    """Serve ``encoder`` under its name instead of loading one by that name (tests, or an
    encoder already in memory)."""
    with _ENCODERS_LOCK:
        _ENCODERS[encoder.name] = encoder


# -- helpers ---------------------------------------------------------------------------


def _owned(database: Database, assistant_id: str, caller: Caller) -> AssistantRow:
    row = get_assistant(database, assistant_id)
    if not caller.may_see(row.owner_key_id):
        raise NotOwnerError(
            f"assistant {assistant_id!r} is another key's; ask its owner or an admin"
        )
    return row


def _conversation(
    session: Any, assistant_id: str, session_id: str, caller: Caller
) -> ConversationRow:
    row = session.get(ConversationRow, session_id)
    if row is None or row.assistant_id != assistant_id or not caller.may_see(row.owner_key_id):
        raise NotFoundError(f"no conversation {session_id!r} with assistant {assistant_id!r}")
    return row


def _citation_view(citation: Any) -> dict[str, Any]:
    return {
        "id": citation.id,
        "text": citation.text,
        "answer": citation.answer,
        "source": citation.source,
        "fused_rank": citation.fused_rank,
        "bm25_rank": citation.bm25_rank,
        "dense_rank": citation.dense_rank,
        "cosine": round(float(citation.cosine), 4),
    }


def _turn_view(question: str, query: str, reply: Reply, handoff_id: int | None) -> dict[str, Any]:
    return {
        "question": question,
        "query": query,
        "answer": reply.answer,
        "route": reply.route,
        "confidence": None if reply.confidence is None else round(float(reply.confidence), 4),
        "handed_off": reply.handed_off,
        "handoff_reason": reply.handoff_reason,
        "handoff_id": handoff_id,
        "citations": [_citation_view(c) for c in reply.citations],
        "timings_ms": reply.timings_ms,
    }


def _stored_turn_view(row: TurnRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "session_id": row.session_id,
        "question": row.question,
        "query": row.query,
        "answer": row.answer,
        "route": row.route,
        "confidence": row.confidence,
        "handed_off": row.handed_off,
        "handoff_reason": row.handoff_reason,
        "handoff_id": row.handoff_id,
        "citations": row.citations,
        "created_at": row.created_at,
    }


def _feedback_view(row: FeedbackRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "turn_id": row.turn_id,
        "rating": row.rating,
        "correction": row.correction,
        "created_at": row.created_at,
    }


def _handoff_view(row: HandoffRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "question": row.question,
        "reason": row.reason,
        "confidence": row.confidence,
        "state": "open" if row.resolved_at is None else "resolved",
        "created_at": row.created_at,
        "resolved_at": row.resolved_at,
        "delivery": row.delivery,
    }


def _hide(message: str, replacements: dict[str, str]) -> str:
    for secret, shown in sorted(replacements.items(), key=lambda item: -len(item[0])):
        if secret:
            message = message.replace(secret + "/", shown + "/" if shown else "")
            message = message.replace(secret, shown)
    return message
