"""``/health`` (no key needed) and Prometheus ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from open_interpreter import __version__
from open_interpreter.serving.deps import AdminKey, SessionDep, StateDep
from open_interpreter.serving.schemas import Health

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
    )


@router.get("/metrics", include_in_schema=False)
def metrics(state: StateDep, _key: AdminKey) -> Response:
    """Prometheus metrics (admin keys)."""
    state.metrics.loaded_models.set(len(state.cache))
    state.metrics.base_adapters.clear()
    for base, adapters in state.cache.shared_bases().items():
        state.metrics.base_adapters.labels(base=base).set(adapters)
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
