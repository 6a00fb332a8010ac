"""The app's one middleware: body-size limits (413), a deadline for a body to arrive
(408), no body read from a caller without a key (401), and request metrics, as plain ASGI.

The size limit counts the bytes actually received, so a chunked body (no
``Content-Length``) is cut off at the limit too, and a request to the API that carries
no key at all is answered before a byte of its body is read. (Which key, and whether its
scope suffices, the route's dependency decides: that needs the database.) A body still
arriving after ``body_read_timeout_s`` is cut off: uvicorn has no such timeout, so a
client sending a byte a second would otherwise hold its connection and its request for
ever. An answer sent before its request's body has all arrived (refused, cut off, or
answered early) closes the connection, so the rest of it is never waited for.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one wraps every request in
an extra task and re-streams its response, which cost a measurable share of the event
loop under load (``benchmarks/bench_serving.py``).
"""

from __future__ import annotations

import asyncio
import time

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from open_interpreter.serving import problems

UPLOAD_PATHS = ("/v1/datasets", "/v1/models")
KEYED_PATHS = ("/v1/", "/metrics")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CLOSE = (b"connection", b"close")


class BodyTooLarge(HTTPException):
    """Raised while a body is read, once more bytes arrived than the limit allows.

    A FastAPI ``HTTPException``: FastAPI passes it on from body parsing unchanged, and the
    app's handler answers it as a 413 problem.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class BodyTooSlow(HTTPException):
    """Raised while a body is read, once it has taken longer than the deadline allows."""

    def __init__(self, seconds: float):
        super().__init__(408, f"the request body did not arrive within {seconds:g} s")


class LimitsAndMetrics:
    """Refuse bodies over the limits (413) and count requests and their latency per route."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state.oi
        headers = Headers(scope=scope)
        limit = (
            state.settings.max_upload_bytes
            if scope["path"].startswith(UPLOAD_PATHS)
            and scope["method"] == "POST"
            and "multipart" in headers.get("content-type", "")
            else state.settings.max_body_bytes
        )
        refusal = _refusal(scope, headers, limit, auth=state.settings.auth)
        if refusal is not None:
            refusal.headers["connection"] = "close"  # the body is never read
            await refusal(scope, receive, send)
            return
        body = _BodyReader(receive, limit, state.settings.body_read_timeout_s)
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if has_body and not body.complete:
                    message = {**message, "headers": [*message["headers"], CLOSE]}
            await send(message)

        try:
            await self.app(scope, body.receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            state.metrics.requests.labels(route=route, status=str(status)).inc()
            state.metrics.latency.labels(route=route).observe(time.perf_counter() - started)


def _refusal(scope: Scope, headers: Headers, limit: int, *, auth: bool) -> Response | None:
    """The answer to a request refused before a byte of its body is read, if it is: a NUL
    in its path or query, a ``Content-Length`` over the limit (or not a number), or a body
    without a key.

    No name, id or filter holds a NUL, and PostgreSQL cannot compare text with one (a
    lookup would fail inside the database), so it is refused here, the same on SQLite.
    """
    if (
        "\x00" in scope["path"]
        or b"%00" in scope["query_string"]
        or b"\x00" in scope["query_string"]
    ):
        return problems.problem_response(
            400, "bad_request", "a NUL character (%00) is not allowed in a URL"
        )
    length = headers.get("content-length")
    if length is not None and not (length.isascii() and length.isdigit() and int(length) <= limit):
        return problems.problem_response(
            413, "too_large", f"request bodies are limited to {limit} bytes"
        )
    if auth and _unkeyed_body(scope, headers):
        return problems.problem_response(
            401, "unauthorized", "an API key is needed: 'Authorization: Bearer oi_…'"
        )
    return None


def _unkeyed_body(scope: Scope, headers: Headers) -> bool:
    """A request with a body to a keyed path that carries no key at all."""
    return (
        scope["method"] in BODY_METHODS
        and scope["path"].startswith(KEYED_PATHS)
        and not headers.get("authorization")
        and not headers.get("x-api-key")
    )


class _BodyReader:
    """The app's ``receive``: raises :class:`BodyTooLarge` once the body passes ``limit``
    bytes and :class:`BodyTooSlow` once it is still arriving ``timeout_s`` after the request
    began. Once the body is ``complete``, messages pass as they come (a streamed answer
    waits on ``receive`` for the client to go away).

    An answer sent before the body is complete closes the connection: uvicorn would
    otherwise keep it open, dropping whatever more the client sends, for as long as it
    sends any.
    """

    def __init__(self, receive: Receive, limit: int, timeout_s: float):
        self._receive, self.limit, self.timeout_s = receive, limit, timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.received = 0
        self.complete = False

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), self.deadline - time.monotonic())
        except asyncio.TimeoutError:
            raise BodyTooSlow(self.timeout_s) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
            self.complete = not message.get("more_body", False)
        return message
