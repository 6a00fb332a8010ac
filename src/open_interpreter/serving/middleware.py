"""The app's one middleware: body-size limits (413), no body read from a caller without a
key (401), and request metrics, as plain ASGI.

The size limit counts the bytes actually received, so a chunked body (no
``Content-Length``) is cut off at the limit too, and a request to the API that carries
no key at all is answered before a byte of its body is read. (Which key, and whether its
scope suffices, the route's dependency decides: that needs the database.)

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one wraps every request in
an extra task and re-streams its response, which cost a measurable share of the event
loop under load (``benchmarks/bench_serving.py``).
"""

from __future__ import annotations

import time

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from open_interpreter.serving import problems

UPLOAD_PATHS = ("/v1/datasets", "/v1/models")
KEYED_PATHS = ("/v1/", "/metrics")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(HTTPException):
    """Raised while a body is read, once more bytes arrived than the limit allows.

    A FastAPI ``HTTPException``: FastAPI passes it on from body parsing unchanged, and the
    app's handler answers it as a 413 problem.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"request bodies are limited to {limit} bytes")


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
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            response = problems.problem_response(
                413, "too_large", f"request bodies are limited to {limit} bytes"
            )
            await response(scope, receive, send)
            return
        if state.settings.auth and _unkeyed_body(scope, headers):
            response = problems.problem_response(
                401, "unauthorized", "an API key is needed: 'Authorization: Bearer oi_…'"
            )
            await response(scope, receive, send)
            return
        receive = _limited(receive, limit)
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            state.metrics.requests.labels(route=route, status=str(status)).inc()
            state.metrics.latency.labels(route=route).observe(time.perf_counter() - started)


def _unkeyed_body(scope: Scope, headers: Headers) -> bool:
    """A request with a body to a keyed path that carries no key at all."""
    return (
        scope["method"] in BODY_METHODS
        and scope["path"].startswith(KEYED_PATHS)
        and not headers.get("authorization")
        and not headers.get("x-api-key")
    )


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` once the body passes ``limit`` bytes."""
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_within_limit
