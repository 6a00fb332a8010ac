"""Dependencies of the routes: the app state, a database session, the caller's API key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from open_interpreter.services.api_keys import allows, find_key
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.state import AppState
from open_interpreter.storage.tables import ApiKey


async def get_state(request: Request) -> AppState:
    """The app's shared state (async: nothing to wait for, so no trip to a thread)."""
    return request.app.state.oi


def get_session(request: Request) -> Iterator[Session]:
    """A database session for the request, closed afterwards."""
    with request.app.state.oi.db.session() as session:
        yield session


StateDep = Annotated[AppState, Depends(get_state)]
SessionDep = Annotated[Session, Depends(get_session)]


def require(scope: str) -> Callable[..., ApiKey | None]:
    """A dependency that admits keys of ``scope`` or above (401 without a key, 403 below it),
    and applies the per-key rate limit and the limit on failed key checks per address (429)."""

    async def check(request: Request, state: StateDep) -> ApiKey | None:
        if not state.settings.auth:
            return None
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = token or request.headers.get("x-api-key", "")
        if not token:
            _count_failure(state, request)
            raise Problem(401, "unauthorized", "an API key is needed: 'Authorization: Bearer oi_…'")
        key = await run_in_threadpool(_find_key, state, token)
        if key is None:
            _count_failure(state, request)
            raise Problem(401, "unauthorized", "unknown or revoked API key")
        if not allows(key.scope, scope):
            raise Problem(
                403, "forbidden", f"this key's scope is {key.scope!r}; {scope!r} is needed"
            )
        wait = state.limiter.check(key.id)
        if wait:
            raise Problem(
                429,
                "rate_limited",
                "too many requests for this key",
                retry_after=max(1, round(wait)),
            )
        return key

    return check


def _count_failure(state: AppState, request: Request) -> None:
    """Count a failed key check against the caller's address; too many → 429."""
    address = request.client.host if request.client else "unknown"
    wait = state.failed_keys.check(address)
    if wait:
        raise Problem(
            429,
            "rate_limited",
            "too many requests without a valid key from this address",
            retry_after=max(1, round(wait)),
        )


def _find_key(state: AppState, token: str) -> ApiKey | None:
    with state.db.session() as session:
        return find_key(session, token)


PredictKey = Annotated[ApiKey | None, Depends(require("predict"))]
TrainKey = Annotated[ApiKey | None, Depends(require("train"))]
AdminKey = Annotated[ApiKey | None, Depends(require("admin"))]


Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip.")]
