"""``/health`` and its liveness and readiness probes (no key needed), and Prometheus
``/metrics``.

For an orchestrator: ``/health/live`` answers while the process serves requests at all
(it touches nothing else: restart on failure); ``/health/ready`` answers 200 only while
the database answers and has every migration this code needs (send traffic then).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from open_interpreter import __version__
from open_interpreter.serving.deps import AdminKey, SessionDep, StateDep
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import Health, Probe
from open_interpreter.storage.db import applied_revision, code_revision, is_behind

router = APIRouter(tags=["health"])


@router.get("/health")
def health(state: StateDep, session: SessionDep) -> Health:
    """Liveness: the database answers and the server says what it holds."""
    session.execute(text("select 1"))
    state.metrics.loaded_models.set(len(state.cache))
    return Health(
        status="ok",
        version=__version__,
        database=state.db.engine.dialect.name,
        loaded_models=len(state.cache),
        shared_bases=len(state.cache.shared_bases()),
        backend=state.settings.backend,
        loaded_backends=state.cache.backends(),
    )


@router.get("/health/live")
def live() -> Probe:
    """Liveness: the process answers requests. Touches neither the database nor models."""
    return Probe(status="ok")


@router.get("/health/ready", responses={503: {"description": "Not ready: see `detail`."}})
def ready(session: SessionDep) -> Probe:
    """Readiness: the database answers and has every migration this code needs (a newer
    release's schema is fine: a rolling upgrade migrates before replacing processes)."""
    applied = applied_revision(session.connection())
    if is_behind(applied):
        raise Problem(
            503,
            "schema_pending",
            f"the database schema is at {applied or 'nothing'}, this server expects "
            f"{code_revision()}: run `oi db upgrade`",
        )
    return Probe(status="ok")


@router.get("/metrics", include_in_schema=False)
def metrics(state: StateDep, _key: AdminKey) -> Response:
    """Prometheus metrics (admin keys)."""
    state.metrics.loaded_models.set(len(state.cache))
    state.metrics.base_adapters.clear()
    for base, adapters in state.cache.shared_bases().items():
        state.metrics.base_adapters.labels(base=base).set(adapters)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
