"""The FastAPI application behind ``oi serve``.

``create_app`` wires settings, the database (migrated on start), the model cache, the
rate limiter, metrics, problem-details errors and the routers. Workers are not started
here: ``oi serve`` starts them beside the app (``--workers N``).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from open_interpreter import __version__, dashboard
from open_interpreter.services.resources import ResourceSampler
from open_interpreter.serving import openapi, problems
from open_interpreter.serving.middleware import LimitsAndMetrics
from open_interpreter.serving.model_cache import ModelCache
from open_interpreter.serving.rate_limit import RateLimiter
from open_interpreter.serving.routes import api, health
from open_interpreter.serving.settings import Settings
from open_interpreter.serving.state import AppState, Metrics
from open_interpreter.storage import Database, artifacts

logger = logging.getLogger(__name__)


TRAINING_STACK = (
    "open_interpreter.continual.recipe",
    "open_interpreter.tuning",
    "open_interpreter.training.loop",
)
"""Modules that routes import on first use, so that the API runs without PyTorch."""


def import_the_training_stack() -> None:
    """Where PyTorch is installed, import :data:`TRAINING_STACK` at start-up: seconds of
    imports that the first continual, drift or study request would otherwise wait for."""
    try:
        installed = importlib.util.find_spec("torch") is not None
    except ImportError:  # an import hook that refuses it: as good as absent
        installed = False
    if not installed:
        return
    for module in TRAINING_STACK:
        importlib.import_module(module)


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
            torch_threads=settings.torch_threads,
            max_wait_s=settings.max_queue_wait_s,
            backend=settings.backend,
            onnx_precision=settings.onnx_precision,
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
        artifacts.sweep_leftovers()  # what uploads cut short by a crash left behind
        import_the_training_stack()
        sampler.start()
        yield
        await state.drift.flush()  # drift windows resume after a restart
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
    openapi.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(LimitsAndMetrics)
    app.include_router(health.router)
    app.include_router(api)
    app.include_router(dashboard.router)
    return app
