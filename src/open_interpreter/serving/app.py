"""The FastAPI application behind ``oi serve``.

``create_app`` wires settings, the database (migrated on start), the model cache, the
rate limiter, metrics, problem-details errors and the routers. Workers are not started
here: ``oi serve`` starts them beside the app (``--workers N``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from open_interpreter import __version__, dashboard
from open_interpreter.serving import problems
from open_interpreter.serving.model_cache import ModelCache
from open_interpreter.serving.resources import ResourceSampler
from open_interpreter.serving.routes import api, health
from open_interpreter.serving.security import RateLimiter
from open_interpreter.serving.settings import Settings
from open_interpreter.serving.state import AppState, Metrics
from open_interpreter.storage import Database

logger = logging.getLogger(__name__)

UPLOAD_PATHS = ("/v1/datasets", "/v1/models")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: Server settings (default: from the environment).
        db: An open database (default: ``settings.database_url``, migrated now).

    Returns:
        The FastAPI application; its OpenAPI is at ``/openapi.json`` and ``/docs``.
    """
    settings = settings or Settings()
    db = db or Database(settings.database_url)
    state = AppState(
        settings=settings,
        db=db,
        cache=ModelCache(
            settings.model_cache_bytes,
            batch_wait_ms=settings.batch_wait_ms,
            max_batch_size=settings.max_batch_size,
        ),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        metrics=Metrics.create(),
    )
    sampler = ResourceSampler()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not settings.auth:
            logger.warning(
                "API keys are OFF (--no-auth): anyone who can reach this port can "
                "train, predict and delete. Use it for local experiments only."
            )
        sampler.start()
        yield
        sampler.stop()
        state.cache.close()

    app = FastAPI(
        title="Open Interpreter",
        version=__version__,
        lifespan=lifespan,
        description="Fine-tune, evaluate, register and serve Transformer models.",
    )
    app.state.oi = state
    app.state.resources = sampler
    problems.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.middleware("http")(_limits_and_metrics)
    app.include_router(health.router)
    app.include_router(api)
    app.include_router(dashboard.router)
    return app


async def _limits_and_metrics(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Refuse bodies over the limits (413) and record request counts and latency."""
    state: AppState = request.app.state.oi
    limit = (
        state.settings.max_upload_bytes
        if request.url.path.startswith(UPLOAD_PATHS)
        and request.method == "POST"
        and "multipart" in request.headers.get("content-type", "")
        else state.settings.max_body_bytes
    )
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return problems.problem_response(
            413, "too_large", f"request bodies are limited to {limit} bytes"
        )
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    name = getattr(route, "path", "unmatched")
    state.metrics.requests.labels(route=name, status=str(response.status_code)).inc()
    state.metrics.latency.labels(route=name).observe(time.perf_counter() - started)
    return response
