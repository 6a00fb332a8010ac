"""The support assistant: understand the question, route it, answer with citations or
hand it to a person.

``ask`` reads the question's intent (when an :class:`Understanding` is attached) and routes
it: ``faq`` (and any question without understanding) to hybrid retrieval over the
knowledge base, store questions to the store directory, small talk to a short reply, and
everything else to a hand-off. A retrieval answer is handed off too when its confidence
(the cosine similarity of the question to the best passage) is below ``threshold``. Each
hand-off is stored as an event when the assistant has a database.

Example:
    >>> assistant = Assistant.from_faq("faq-en.csv")  # doctest: +SKIP
    >>> reply = assistant.ask("How long does a building permit take?")  # doctest: +SKIP
    >>> reply.answer[:40], reply.citations[0].id, reply.handed_off  # doctest: +SKIP
    ('The statutory processing time is 10 week', 'bygglov-002', False)
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.apps.assistant.knowledge import Entry, read_knowledge
from open_interpreter.apps.assistant.retrieval import Hit, HybridRetriever, NamedEncoder
from open_interpreter.apps.assistant.stores import StoreDirectory, hours_answer
from open_interpreter.apps.assistant.understanding import FAQ_INTENT, Understanding
from open_interpreter.errors import ConfigError, DataError

DEFAULT_THRESHOLD = 0.39
"""Hand off below this retrieval confidence: the threshold ``benchmarks/bench_assistant.py``
chose for ``minilm-l6`` on its validation split (docs/assistant.md); calibrate your own with
:meth:`Assistant.calibrate`."""
STORE_INTENTS = frozenset({"get_store_hours", "get_store_number"})
SMALL_TALK = {
    "greet": "Hello! Ask me a question and I will look it up.",
    "exit": "Goodbye, and thank you for getting in touch.",
    "help": "I answer questions from our knowledge base and give store hours and phone "
    "numbers; for anything else I pass you to a colleague.",
}
MAX_QUESTION_CHARS = 2000
CONFIDENCES = frozenset({"cosine", "reranker"})


@dataclass
class Citation:
    """A passage an answer rests on, with its ranks (the retrieval debug)."""

    id: str
    text: str
    answer: str
    source: str
    fused_rank: int
    bm25_rank: int | None
    dense_rank: int
    cosine: float
    rerank_score: float | None = None
    """The re-ranker's probability that the passage answers the question (None without one)."""
    rerank_rank: int | None = None
    """Its rank after re-ranking (None without a re-ranker)."""


@dataclass
class Reply:
    """What :meth:`Assistant.ask` returns.

    Attributes:
        question: The question asked.
        answer: The answer, or None when handed off.
        route: ``faq``, ``store``, ``small_talk`` or ``handoff``.
        intent: The intent read (None without understanding).
        slots: The slots read (``store_name``...).
        confidence: Retrieval confidence (FAQ), name similarity (store) or intent score.
        handed_off: Whether a person should take over.
        handoff_reason: Why, in words.
        citations: The passages the answer rests on, best first.
        timings_ms: Milliseconds spent understanding, retrieving and writing.
    """

    question: str
    answer: str | None
    route: str
    intent: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    confidence: float | None = None
    handed_off: bool = False
    handoff_reason: str | None = None
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The reply as plain JSON-ready data."""
        return asdict(self)


class Assistant:
    """A support assistant over one knowledge base.

    Args:
        entries: The knowledge base's entries.
        retriever: Hybrid retrieval over their ``search_text``, row for row.
        name: The knowledge base's name (hand-offs are stored under it).
        understanding: Intent classifier and slot tagger; None answers every question
            from the knowledge base.
        stores: A store directory for store questions.
        threshold: Hand off FAQ questions whose retrieval confidence is below this.
        top_k: Passages cited per answer.
        writer: A :class:`~open_interpreter.apps.assistant.grounded.GroundedWriter` to
            compose answers from the passages; None answers with the best entry's answer.
        store: A :class:`~open_interpreter.apps.assistant.store.KnowledgeStore` to record
            hand-offs in.
        reranker: A :class:`~open_interpreter.apps.assistant.reranker.Reranker` (or the
            directory one was saved in) that re-orders the best fused hits; None keeps the
            fused order.
        confidence: What the hand-off threshold is compared with: ``cosine`` (the
            question's cosine to the best passage) or ``reranker`` (the re-ranker's
            probability for it; needs a re-ranker and a threshold chosen for it).
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        retriever: HybridRetriever,
        *,
        name: str = "default",
        understanding: Understanding | None = None,
        stores: StoreDirectory | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        top_k: int = 3,
        writer: Any = None,
        store: Any = None,
        reranker: Any = None,
        confidence: str = "cosine",
    ):
        if top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {top_k=}")
        if confidence not in CONFIDENCES:
            raise ConfigError(f"confidence is one of {sorted(CONFIDENCES)}, got {confidence!r}")
        if confidence == "reranker" and reranker is None:
            raise ConfigError("confidence='reranker' needs a reranker")
        if isinstance(reranker, (str, os.PathLike)):  # a saved re-ranker's directory
            from open_interpreter.apps.assistant.reranker import Reranker

            reranker = Reranker.load(reranker)
        self.reranker, self.confidence = reranker, confidence
        self.entries, self.retriever, self.name = list(entries), retriever, name
        self.understanding, self.stores, self.writer, self.store = (
            understanding, stores, writer, store,
        )  # fmt: skip
        self.threshold, self.top_k = threshold, top_k

    @classmethod
    def from_faq(
        cls,
        path: str | os.PathLike[str],
        *,
        encoder: str | NamedEncoder = "minilm-l6",
        database: Any = None,
        name: str | None = None,
        **options: Any,
    ) -> Assistant:
        """An assistant over an FAQ (CSV, JSONL) or document (Markdown, text) file.

        Args:
            path: The knowledge file.
            encoder: The sentence encoder's name, or a loaded :class:`NamedEncoder`.
            database: A :class:`~open_interpreter.storage.Database` to store the knowledge
                base in (re-ingesting only what changed) and hand-offs; None keeps it in
                memory.
            name: The knowledge base's name (default: the file's stem).
            **options: Other :class:`Assistant` arguments (``threshold``, ``understanding``...).
        """
        encoder = encoder if isinstance(encoder, NamedEncoder) else NamedEncoder(encoder)
        entries = read_knowledge(path)
        name = name or Path(path).stem
        if database is None:
            retriever = HybridRetriever([e.search_text for e in entries], encoder)
            return cls(entries, retriever, name=name, **options)
        from open_interpreter.apps.assistant.store import KnowledgeStore

        KnowledgeStore(database).ingest(name, entries, encoder, replace=True)
        return cls.from_database(name, database, encoder=encoder, **options)

    @classmethod
    def from_database(
        cls,
        name: str,
        database: Any,
        *,
        encoder: str | NamedEncoder | None = None,
        **options: Any,
    ) -> Assistant:
        """The assistant over the stored knowledge base ``name`` (its stored vectors).

        Raises:
            NotFoundError: No knowledge base of that name.
        """
        from open_interpreter.apps.assistant.store import KnowledgeStore

        store = KnowledgeStore(database)
        stored = store.load(name)
        if not stored.entries:
            raise DataError(f"knowledge base {name!r} has no entries")
        if not isinstance(encoder, NamedEncoder):
            encoder = NamedEncoder(encoder or stored.encoder)
        texts = [e.search_text for e in stored.entries]
        retriever = HybridRetriever(texts, encoder, stored.embeddings)
        return cls(stored.entries, retriever, name=name, store=store, **options)

    # -- answering ---------------------------------------------------------------------

    def ask(self, question: str) -> Reply:
        """Answer ``question``, citing passages, or hand it off (see the module's text).

        Raises:
            DataError: An empty question, or one over 2,000 characters.
        """
        question = question.strip() if isinstance(question, str) else ""
        if not question or len(question) > MAX_QUESTION_CHARS:
            raise DataError(f"a question has 1 to {MAX_QUESTION_CHARS} characters")
        timings: dict[str, float] = {}
        start = time.perf_counter()
        parse = self.understanding.parse(question) if self.understanding else None
        timings["understand"] = _ms_since(start)
        if parse is None or parse.intent == FAQ_INTENT:
            reply = self._from_knowledge(question, timings)
        elif parse.intent in STORE_INTENTS and self.stores is not None:
            reply = self._from_stores(question, parse.intent, parse.slots)
        elif parse.intent in SMALL_TALK:
            reply = Reply(question, SMALL_TALK[parse.intent], "small_talk")
        else:
            reply = _handoff(question, f"{parse.intent} questions go to a person")
        if parse is not None:
            reply.intent, reply.slots = parse.intent, parse.slots
            reply.confidence = (
                reply.confidence if reply.confidence is not None else parse.confidence
            )
        reply.timings_ms = {**timings, "total": _ms_since(start)}
        if reply.handed_off and self.store is not None:
            self.store.record_handoff(
                self.name, question, reply.handoff_reason or "", intent=reply.intent,
                confidence=reply.confidence,
            )  # fmt: skip
        return reply

    def retrieve(self, question: str, k: int | None = None) -> list[Citation]:
        """The ``k`` (default ``top_k``) best passages with their BM25, dense and fused ranks."""
        k = k or self.top_k
        if self.reranker is None:
            return [_citation(self.entries[h.index], h) for h in self.retriever.search(question, k)]
        hits = self.retriever.search(question, max(k, self.reranker.candidates))
        head = hits[: self.reranker.candidates]
        order, scores = self.reranker.order(question, [self.entries[h.index].answer for h in head])
        citations = []
        for rank, position in enumerate(order[:k], 1):
            citation = _citation(self.entries[head[position].index], head[position])
            citation.rerank_score, citation.rerank_rank = round(float(scores[position]), 4), rank
            citations.append(citation)
        rest = hits[len(head) :][: max(0, k - len(citations))]
        return citations + [_citation(self.entries[h.index], h) for h in rest]

    def _confidence(self, citation: Citation) -> float:
        if self.confidence == "reranker" and citation.rerank_score is not None:
            return citation.rerank_score
        return citation.cosine

    def _from_knowledge(self, question: str, timings: dict[str, float]) -> Reply:
        start = time.perf_counter()
        citations = self.retrieve(question)
        timings["retrieve"] = _ms_since(start)
        confidence = self._confidence(citations[0])
        if confidence < self.threshold:
            reply = _handoff(
                question,
                f"retrieval confidence {confidence:.2f} is below the threshold "
                f"{self.threshold:.2f}",
            )
            reply.confidence, reply.citations = confidence, citations
            return reply
        answer = citations[0].answer
        if self.writer is not None:
            start = time.perf_counter()
            answer = self.writer.write(question, [c.answer for c in citations])
            timings["write"] = _ms_since(start)
        return Reply(question, answer, "faq", confidence=confidence, citations=citations)

    def _from_stores(self, question: str, intent: str, slots: dict[str, str]) -> Reply:
        assert self.stores is not None
        spoken = slots.get("store_name")
        match = self.stores.find(spoken) if spoken else self.stores.find_in(question)
        if match is None:
            said = f"a store named {spoken!r}" if spoken else "a store name"
            return _handoff(question, f"found no {said} in the store directory")
        store = match.store
        if intent == "get_store_hours":
            answer = hours_answer(store)
        else:
            answer = (
                f"The {store['store_name']} store's phone number is {store.get('phone_number')}."
            )
        citation = Citation(
            str(store.get("id", "")), store["store_name"], answer, "stores.json", 1, None, 1,
            match.similarity,
        )  # fmt: skip
        return Reply(question, answer, "store", confidence=match.similarity, citations=[citation])

    # -- calibration -------------------------------------------------------------------

    def confidences(self, questions: Sequence[str]) -> list[float]:
        """The retrieval confidence of each question: the cosine of its best passage (or the
        re-ranker's probability for it, with ``confidence='reranker'``)."""
        if self.reranker is not None:
            return [self._confidence(self.retrieve(q, 1)[0]) for q in questions]
        vectors = self.retriever.encoder.encode(list(questions))  # one batched pass
        confidences = []
        for question, vector in zip(questions, vectors, strict=True):
            rankings = self.retriever.rankings(question, vector)
            confidences.append(float(rankings["cosine"][int(np.argmin(rankings["fused_rank"]))]))
        return confidences

    def calibrate(self, in_scope: Sequence[str], out_of_scope: Sequence[str]) -> float:
        """Set :attr:`threshold` to the one that best separates the two lists of questions
        (hand-off F1, see :func:`~open_interpreter.apps.assistant.handoff.choose_threshold`)."""
        from open_interpreter.apps.assistant.handoff import choose_threshold

        self.threshold = choose_threshold(
            self.confidences(in_scope), self.confidences(out_of_scope)
        )
        return self.threshold


def _citation(entry: Entry, hit: Hit) -> Citation:
    return Citation(
        entry.id, entry.text, entry.answer, entry.source, hit.fused_rank, hit.bm25_rank,
        hit.dense_rank, hit.cosine,
    )  # fmt: skip


def _handoff(question: str, reason: str) -> Reply:
    return Reply(question, None, "handoff", handed_off=True, handoff_reason=reason)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
