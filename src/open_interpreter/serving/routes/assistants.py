"""``/v1/assistants``: support assistants over a knowledge base (docs/assistant.md, REST).

Create one from an uploaded FAQ or document, a stored dataset or a packaged FAQ; list,
read, delete; ask (JSON, or server-sent events); conversations whose follow-up questions
are resolved against the history; feedback on a turn; the hand-off queue, and a webhook
each hand-off is POSTed to (set by an admin key: the server calls out).

Scopes: ``predict`` lists, reads and asks any assistant and keeps its own conversations
(another key's read as missing); ``train`` creates (the assistant is then its key's);
deleting an assistant and reading or resolving its hand-offs needs its own key or an
admin key (403 otherwise). The work is in :mod:`open_interpreter.apps.assistant.service`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from open_interpreter.apps.assistant import service
from open_interpreter.apps.assistant.assistant import DEFAULT_THRESHOLD, MAX_QUESTION_CHARS
from open_interpreter.errors import DataError
from open_interpreter.services.callers import Caller
from open_interpreter.services.webhooks import Webhook
from open_interpreter.serving.deps import (
    PageDep,
    PredictKey,
    StateDep,
    TrainCaller,
    caller_of,
)
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import NAME_PATTERN, Page

router = APIRouter(prefix="/assistants", tags=["assistants"])
STREAM_CHUNK_WORDS = 4
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


async def _predict_caller(request: Request, key: PredictKey) -> Caller:
    return caller_of(request, key)


PredictCaller = Annotated[Caller, Depends(_predict_caller)]


class HandoffWebhookPublic(BaseModel):
    """An assistant's hand-off webhook: its URL, whether it signs, its retries."""

    url: str
    signed: bool
    retries: int


class AssistantPublic(BaseModel):
    """An assistant: where its knowledge base came from and how it answers."""

    id: str
    name: str
    source: str = Field(description="'file NAME', 'dataset ID' or 'faq NAME'.")
    encoder: str
    threshold: float = Field(
        description="Questions retrieved below this confidence go to a person."
    )
    top_k: int = Field(description="Passages cited per answer.")
    num_entries: int
    created_at: datetime
    handoff_webhook: HandoffWebhookPublic | None = Field(
        None, description="Where hand-offs are POSTed (its secret never shown)."
    )


class AssistantsPublic(Page):
    """A page of assistants, newest first."""

    data: list[AssistantPublic]


class Citation(BaseModel):
    """A passage an answer rests on, with its ranks in each retriever (the debug view)."""

    id: str
    text: str
    answer: str
    source: str
    fused_rank: int
    bm25_rank: int | None = Field(description="None: the passage shares no word with the query.")
    dense_rank: int
    cosine: float


class FeedbackPublic(BaseModel):
    """Feedback given on a turn."""

    id: int
    turn_id: int
    rating: str | None
    correction: str | None
    created_at: datetime


class TurnPublic(BaseModel):
    """A question and what the assistant did with it (in a conversation: a stored turn)."""

    id: int | None = None
    number: int | None = None
    session_id: str | None = None
    question: str
    query: str = Field(description="What retrieval was asked: the question, or the question "
                       "joined to the conversation's previous query (a follow-up).")  # fmt: skip
    answer: str | None
    route: str
    confidence: float | None
    handed_off: bool
    handoff_reason: str | None
    handoff_id: int | None
    citations: list[Citation]
    timings_ms: dict[str, float] | None = None
    created_at: datetime | None = None
    feedback: list[FeedbackPublic] | None = None


class SessionPublic(BaseModel):
    """A conversation and its turns in order."""

    id: str
    assistant_id: str
    created_at: datetime
    turns: list[TurnPublic]


def _no_nul(value: str | None) -> str | None:
    """PostgreSQL cannot store a NUL in text: refused on SQLite too, so both agree."""
    if value is not None and "\x00" in value:
        raise ValueError(f"a NUL character is not allowed, got one at {value.index(chr(0))}")
    return value


class AskRequest(BaseModel):
    """A question, optionally in a conversation; ``stream`` (or ``Accept:
    text/event-stream``) answers with server-sent events."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    session_id: str | None = Field(None, max_length=64)
    stream: bool = False

    _question = field_validator("question", "session_id")(_no_nul)


class RetrieveRequest(BaseModel):
    """A question to show the retrieval of, candidate by candidate."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(10, ge=1, le=50)

    _question = field_validator("question")(_no_nul)


class Candidates(BaseModel):
    """The best candidates by fused rank, with their BM25, dense and fused ranks."""

    question: str
    candidates: list[Citation]


class FeedbackRequest(BaseModel):
    """Thumbs up or down, and/or the answer that should have been given."""

    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"] | None = None
    correction: str | None = Field(None, max_length=service.MAX_CORRECTION_CHARS)

    _correction = field_validator("correction")(_no_nul)


class HandoffPublic(BaseModel):
    """A question passed to a person: ``open`` until resolved."""

    id: int
    question: str
    reason: str
    confidence: float | None
    state: Literal["open", "resolved"]
    created_at: datetime
    resolved_at: datetime | None
    delivery: dict[str, Any] | None = Field(
        None,
        description="Its webhook delivery: delivered, attempts, status, error (null: none "
        "yet, or no webhook).",
    )


class HandoffsPublic(Page):
    """A page of hand-offs, newest first."""

    data: list[HandoffPublic]


@router.post("", status_code=201)
def create_assistant(
    state: StateDep,
    caller: TrainCaller,
    name: Annotated[str, Form(pattern=NAME_PATTERN)],
    file: Annotated[
        UploadFile | None, File(description="An FAQ (.csv, .jsonl) or document (.md, .txt).")
    ] = None,
    dataset_id: Annotated[
        str | None,
        Form(pattern=ID_PATTERN, description="A stored dataset: text = question, label = answer."),
    ] = None,
    faq: Annotated[
        str | None, Form(pattern=ID_PATTERN, description="A packaged FAQ: 'zaragoza'.")
    ] = None,
    threshold: Annotated[float, Form(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    top_k: Annotated[int, Form(ge=1, le=20)] = 3,
    handoff_webhook_url: Annotated[
        str | None,
        Form(max_length=2000, description="POST each hand-off here (an admin key only)."),
    ] = None,
    handoff_webhook_secret: Annotated[
        str, Form(max_length=200, description="Signs the hand-off POSTs (HMAC-SHA256).")
    ] = "",
) -> AssistantPublic:
    """Build an assistant from exactly one of ``file``, ``dataset_id`` or ``faq``: its
    entries are embedded now (at most 2,000; seconds to a minute). A bad file answers 422
    naming its line. A hand-off webhook makes the server call out: it needs an admin key."""
    # A plain def, run in the thread pool: reading and embedding must not hold the loop.
    webhook = (
        _webhook(caller, {"url": handoff_webhook_url, "secret": handoff_webhook_secret})
        if handoff_webhook_url
        else None
    )
    given = [v for v in (file, dataset_id, faq) if v is not None and v != ""]
    if len(given) != 1:
        raise Problem(422, "validation_error", "give exactly one of file, dataset_id or faq")
    try:
        if file is not None:
            limit = state.settings.max_upload_bytes
            data = file.file.read(limit + 1)
            if len(data) > limit:
                raise Problem(413, "too_large", f"uploads are limited to {limit} bytes")
            filename = _safe_filename(file.filename or "upload")
            entries, source = service.entries_from_upload(filename, data), f"file {filename}"
        elif dataset_id:
            entries = service.entries_from_dataset(state.db, dataset_id, caller)
            source = f"dataset {dataset_id}"
        else:
            entries, source = service.entries_from_package(str(faq)), f"faq {faq}"
    except DataError as exc:
        raise Problem(422, "invalid_file", str(exc)) from None
    try:
        row = service.create_assistant(
            state.db, name=name, entries=entries, source=source, threshold=threshold,
            top_k=top_k, caller=caller, handoff_webhook=webhook,
        )  # fmt: skip
    except DataError as exc:
        raise Problem(422, "invalid_file", str(exc)) from None
    return AssistantPublic(**service.assistant_view(row))


@router.get("")
def list_assistants(state: StateDep, _caller: PredictCaller, page: PageDep) -> AssistantsPublic:
    """Every assistant, newest first."""
    rows, total = service.list_assistants(state.db, limit=page.limit, offset=page.offset)
    return AssistantsPublic(
        data=[AssistantPublic(**service.assistant_view(r)) for r in rows], count=total
    )


@router.get("/{assistant_id}")
def get_assistant(assistant_id: str, state: StateDep, _caller: PredictCaller) -> AssistantPublic:
    """One assistant."""
    return AssistantPublic(**service.assistant_view(service.get_assistant(state.db, assistant_id)))


@router.delete("/{assistant_id}", status_code=204)
def delete_assistant(assistant_id: str, state: StateDep, caller: TrainCaller) -> None:
    """Delete an assistant with its knowledge base, conversations, feedback and hand-offs
    (its own key or an admin key)."""
    _owner_only(service.delete_assistant, state.db, assistant_id, caller=caller)


@router.post("/{assistant_id}/ask", response_model=None)
def ask(
    assistant_id: str, body: AskRequest, request: Request, state: StateDep, caller: PredictCaller
) -> TurnPublic | StreamingResponse:
    """Answer a question with citations, or hand it off. In a conversation
    (``session_id``) a follow-up is resolved against the previous turn and stored.

    With ``stream: true`` or ``Accept: text/event-stream``: ``event: retrieval`` (query,
    confidence, citations), then ``event: answer`` pieces of the answer (a few words
    each), then ``event: done`` with the whole turn."""
    turn = service.ask(
        state.db, assistant_id, body.question, session_id=body.session_id, caller=caller
    )
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            _events(turn), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    return TurnPublic(**turn)


@router.post("/{assistant_id}/retrieve")
def retrieve(
    assistant_id: str, body: RetrieveRequest, state: StateDep, _caller: PredictCaller
) -> Candidates:
    """The retrieval debug view: the ``k`` best candidates with their BM25, dense and
    fused ranks and cosine (nothing is stored)."""
    found = service.retrieval_debug(state.db, assistant_id, body.question, k=body.k)
    return Candidates(question=body.question, candidates=[Citation(**c) for c in found])


@router.post("/{assistant_id}/sessions", status_code=201)
def start_session(assistant_id: str, state: StateDep, caller: PredictCaller) -> SessionPublic:
    """Start a conversation (the caller's own)."""
    return SessionPublic(**service.start_session(state.db, assistant_id, caller=caller))


@router.get("/{assistant_id}/sessions/{session_id}")
def get_session(
    assistant_id: str, session_id: str, state: StateDep, caller: PredictCaller
) -> SessionPublic:
    """A conversation with its turns and the feedback given on them."""
    return SessionPublic(**service.get_session(state.db, assistant_id, session_id, caller=caller))


@router.post("/{assistant_id}/sessions/{session_id}/turns/{turn_id}/feedback", status_code=201)
def give_feedback(
    assistant_id: str,
    session_id: str,
    turn_id: Annotated[int, PathParam(ge=1, le=2**62)],
    body: FeedbackRequest,
    state: StateDep,
    caller: PredictCaller,
) -> FeedbackPublic:
    """Thumbs up/down and/or a correction on a turn, kept for training."""
    view = service.give_feedback(
        state.db, assistant_id, session_id, turn_id, rating=body.rating,
        correction=body.correction, caller=caller,
    )  # fmt: skip
    return FeedbackPublic(**view)


@router.get("/{assistant_id}/handoffs")
def list_handoffs(
    assistant_id: str,
    state: StateDep,
    caller: TrainCaller,
    page: PageDep,
    handoff_state: Annotated[
        Literal["open", "resolved"] | None, Query(alias="state", description="open or resolved")
    ] = None,
) -> HandoffsPublic:
    """The assistant's hand-off queue, newest first (its own key or an admin key)."""
    rows, total = _owner_only(
        service.list_handoffs, state.db, assistant_id, state=handoff_state, limit=page.limit,
        offset=page.offset, caller=caller,
    )  # fmt: skip
    return HandoffsPublic(data=[HandoffPublic(**r) for r in rows], count=total)


@router.post("/{assistant_id}/handoffs/{handoff_id}/resolve")
def resolve_handoff(
    assistant_id: str,
    handoff_id: Annotated[int, PathParam(ge=1, le=2**62)],
    state: StateDep,
    caller: TrainCaller,
) -> HandoffPublic:
    """Mark a hand-off resolved (its assistant's own key or an admin key)."""
    view = _owner_only(service.resolve_handoff, state.db, assistant_id, handoff_id, caller=caller)
    return HandoffPublic(**view)


@router.put("/{assistant_id}/handoff-webhook")
def set_handoff_webhook(
    assistant_id: str, body: Webhook, state: StateDep, caller: TrainCaller
) -> AssistantPublic:
    """Set where the assistant's hand-offs are POSTed: ``{"url", "secret"?, "retries"?,
    "backoff_seconds"?, "timeout_seconds"?}`` (an admin key: the server calls out)."""
    webhook = _webhook(caller, body.model_dump())
    row = _owner_only(service.set_handoff_webhook, state.db, assistant_id, webhook, caller=caller)
    return AssistantPublic(**service.assistant_view(row))


@router.delete("/{assistant_id}/handoff-webhook")
def remove_handoff_webhook(
    assistant_id: str, state: StateDep, caller: TrainCaller
) -> AssistantPublic:
    """Stop POSTing the assistant's hand-offs (its own key or an admin key)."""
    row = _owner_only(service.set_handoff_webhook, state.db, assistant_id, None, caller=caller)
    return AssistantPublic(**service.assistant_view(row))


def _webhook(caller: Caller, fields: dict[str, Any]) -> Webhook:
    """A hand-off webhook from a request, for an admin caller only (422 when invalid)."""
    if not caller.sees_all:
        raise Problem(403, "forbidden", "webhooks make the server call out: they need an admin key")
    try:
        return Webhook(**fields)
    except (ValidationError, TypeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'webhook'}: {e['msg']}" for e in errors
        )
        raise Problem(422, "validation_error", f"invalid hand-off webhook: {detail}") from None


def _owner_only(action: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return action(*args, **kwargs)
    except service.NotOwnerError as exc:
        raise Problem(403, "forbidden", str(exc)) from None


def _events(turn: dict[str, Any]) -> Iterator[str]:
    retrieval = {k: turn[k] for k in ("query", "confidence", "citations", "route")}
    yield f"event: retrieval\ndata: {json.dumps(retrieval)}\n\n"
    words = (turn["answer"] or "").split(" ")
    for start in range(0, len(words) if turn["answer"] else 0, STREAM_CHUNK_WORDS):
        piece = " ".join(words[start : start + STREAM_CHUNK_WORDS])
        piece += " " if start + STREAM_CHUNK_WORDS < len(words) else ""
        yield f"event: answer\ndata: {json.dumps({'text': piece})}\n\n"
    done = TurnPublic(**turn).model_dump(mode="json")
    yield f"event: done\ndata: {json.dumps(done)}\n\n"


def _safe_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in name)[-100:]
    return cleaned.lstrip(".") or "upload"
