"""``POST /v1/generate`` (with SSE streaming) and OpenAI-compatible
``POST /v1/chat/completions`` and ``POST /v1/completions`` subsets, for chat and other
generative models: the official ``openai`` package works against them
(``tests/serving/test_openai_client.py``)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from open_interpreter.generation import Completion, TextStream
from open_interpreter.serving.deps import PredictKey, SessionDep, StateDep
from open_interpreter.serving.model_cache import load_named
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import (
    ChatCompletionRequest,
    CompletionRequest,
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
    ``temperature``, ``top_p``, ``stop``, ``seed``, ``stream``, ``stream_options``."""
    loaded = await load_named(state.cache, state.settings, session, body.model)
    messages = [m.model_dump() for m in body.messages]
    options = body.options()
    created, ident = int(time.time()), artifacts.new_id("chatcmpl")
    if body.stream:
        stream = await loaded.batcher.run(lambda it: it.generate(messages, stream=True, **options))
        return StreamingResponse(
            _chunks(
                loaded.batcher.stream(stream),
                stream,
                _Chunk(ident, "chat.completion.chunk", created, body.model, body.include_usage),
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
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


@dataclass(frozen=True)
class _Chunk:
    """What every chunk of one OpenAI stream repeats."""

    ident: str
    kind: str
    created: int
    model: str
    include_usage: bool

    def event(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        body = {
            "id": self.ident,
            "object": self.kind,
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"


async def _chunks(
    pieces: AsyncIterator[str], stream: TextStream, chunk: _Chunk
) -> AsyncIterator[str]:
    """A chat completion as OpenAI's chunks, ``data: [DONE]`` last."""

    def choice(delta: dict[str, str], finish: str | None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "finish_reason": finish}]

    yield chunk.event(choice({"role": "assistant"}, None))
    async for piece in pieces:
        yield chunk.event(choice({"content": piece}, None))
    yield chunk.event(choice({}, _finish_reason(stream)))
    if chunk.include_usage:
        yield chunk.event([], usage=_usage(stream.completion))
    yield "data: [DONE]\n\n"


@router.post("/completions", response_model=None)
async def completions(
    body: CompletionRequest, state: StateDep, session: SessionDep, _key: PredictKey
) -> dict[str, Any] | StreamingResponse:
    """The OpenAI text-completions subset: ``model``, ``prompt`` (a text or a list of
    texts, continued as given: no chat template), ``max_tokens``, ``temperature``,
    ``top_p``, ``stop``, ``seed``, ``stream`` (one prompt), ``stream_options``."""
    loaded = await load_named(state.cache, state.settings, session, body.model)
    options = body.options()
    created, ident = int(time.time()), artifacts.new_id("cmpl")
    prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
    if body.stream:
        if len(prompts) != 1:
            raise Problem(422, "validation_error", "prompt: stream one prompt at a time")
        stream = await loaded.batcher.run(
            lambda it: it.generate(prompts[0], stream=True, chat=False, **options)
        )
        return StreamingResponse(
            _text_chunks(
                loaded.batcher.stream(stream),
                stream,
                _Chunk(ident, "text_completion", created, body.model, body.include_usage),
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    answers = await loaded.batcher.run(
        lambda it: it.generate(prompts, details=True, chat=False, **options)
    )
    usage = [_usage(answer) for answer in answers]
    return {
        "id": ident,
        "object": "text_completion",
        "created": created,
        "model": body.model,
        "choices": [
            {"index": i, "text": a.text, "logprobs": None, "finish_reason": a.finish_reason}
            for i, a in enumerate(answers)
        ],
        "usage": {key: sum(u[key] for u in usage) for key in usage[0]},
    }


async def _text_chunks(
    pieces: AsyncIterator[str], stream: TextStream, chunk: _Chunk
) -> AsyncIterator[str]:
    """A text completion as OpenAI's chunks, ``data: [DONE]`` last."""

    def choice(text: str, finish: str | None) -> list[dict[str, Any]]:
        return [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]

    async for piece in pieces:
        yield chunk.event(choice(piece, None))
    yield chunk.event(choice("", _finish_reason(stream)))
    if chunk.include_usage:
        yield chunk.event([], usage=_usage(stream.completion))
    yield "data: [DONE]\n\n"
