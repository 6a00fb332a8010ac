"""The app's one middleware: body-size limits (413) and request metrics, as plain ASGI.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one wraps every request in
an extra task and re-streams its response, which cost a measurable share of the event
loop under load (``benchmarks/bench_serving.py``).
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from open_interpreter.serving import problems

UPLOAD_PATHS = ("/v1/datasets", "/v1/models")


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
