"""``POST /v1/generate`` (with SSE streaming) and an OpenAI-compatible
``POST /v1/chat/completions`` subset, for chat and other generative models."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from open_interpreter.generation import Completion, TextStream
from open_interpreter.serving.deps import PredictKey, SessionDep, StateDep
from open_interpreter.serving.model_cache import load_named
from open_interpreter.serving.schemas import (
    ChatCompletionRequest,
    GenerateRequest,
    GenerateResponse,
)
from open_interpreter.storage import artifacts

router = APIRouter(tags=["generate"])


@router.post("/generate", response_model=None)
async def generate(
    body: GenerateRequest, state: StateDep, session: SessionDep, _key: PredictKey
) -> GenerateResponse | StreamingResponse:
    """Answer a prompt or a conversation; with ``stream: true``, server-sent events
    ``data: {"text": "..."}`` as pieces are produced, then ``event: end``."""
    loaded = await load_named(state.cache, state.settings, session, body.model)
    options = body.options()
    if body.stream:
        stream = await loaded.batcher.run(
            lambda it: it.generate(body.input(), stream=True, **options)
        )
        return StreamingResponse(
            _sse(loaded.batcher.stream(stream), stream),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    answer = await loaded.batcher.run(lambda it: it.generate(body.input(), details=True, **options))
    return GenerateResponse(
        model=body.model, text=answer.text, finish_reason=answer.finish_reason, usage=_usage(answer)
    )


def _usage(answer: Completion | None) -> dict[str, int]:
    """OpenAI's ``usage`` object: the prompt's, the answer's and the total token counts."""
    if answer is None:
        return {}
    total = answer.prompt_tokens + answer.completion_tokens
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": total,
    }


async def _sse(pieces: AsyncIterator[str], stream: TextStream) -> AsyncIterator[str]:
    async for piece in pieces:
        yield f"data: {json.dumps({'text': piece})}\n\n"
    end = {"finish_reason": _finish_reason(stream), "usage": _usage(stream.completion)}
    yield f"event: end\ndata: {json.dumps(end)}\n\n"


def _finish_reason(stream: TextStream) -> str:
    return stream.completion.finish_reason if stream.completion else "stop"


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, state: StateDep, session: SessionDep, _key: PredictKey
) -> dict[str, Any] | StreamingResponse:
    """The OpenAI chat-completions subset: ``model``, ``messages``, ``max_tokens``,
    ``temperature``, ``top_p``, ``stop``, ``seed``, ``stream``."""
    loaded = await load_named(state.cache, state.settings, session, body.model)
    messages = [m.model_dump() for m in body.messages]
    options = body.options()
    created, ident = int(time.time()), artifacts.new_id("chatcmpl")
    if body.stream:
        stream = await loaded.batcher.run(lambda it: it.generate(messages, stream=True, **options))
        return StreamingResponse(
            _chunks(loaded.batcher.stream(stream), stream, ident, created, body.model),
            media_type="text/event-stream",
        )
    answer = await loaded.batcher.run(lambda it: it.generate(messages, details=True, **options))
    message = {"role": "assistant", "content": answer.text}
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": body.model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": _usage(answer),
    }


async def _chunks(
    pieces: AsyncIterator[str], stream: TextStream, ident: str, created: int, model: str
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, str], finish: str | None) -> str:
        body = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant"}, None)
    async for piece in pieces:
        yield chunk({"content": piece}, None)
    yield chunk({}, _finish_reason(stream))
    yield "data: [DONE]\n\n"
