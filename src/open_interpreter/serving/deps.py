"""Dependencies of the routes: the app state, a database session, the caller's API key, and
who the caller is for the services (:class:`~open_interpreter.services.callers.Caller`:
whose rows it sees, how the audit log names it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from open_interpreter.services.api_keys import allows, find_key
from open_interpreter.services.callers import Caller
from open_interpreter.serving.problems import Problem, database_unreachable
from open_interpreter.serving.rate_limit import RateLimiter
from open_interpreter.serving.state import AppState
from open_interpreter.storage.tables import ApiKey

logger = logging.getLogger(__name__)


async def get_state(request: Request) -> AppState:
    """The app's shared state (async: nothing to wait for, so no trip to a thread)."""
    return request.app.state.oi


def get_session(request: Request) -> Iterator[Session]:
    """A database session for the request, closed afterwards.

    Closing rolls back what the session left open. When the database went away meanwhile,
    that fails after the answer is given (perhaps already on its way): the failure is
    logged and the answer stands (the pool checks a connection before it is used again).
    """
    session = request.app.state.oi.db.session()
    try:
        yield session
    finally:
        try:
            session.close()
        except Exception as exc:
            if not database_unreachable(exc):
                raise
            logger.warning("closing a session on a database that went away: %s", exc)


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
        address = request.client.host if request.client else "unknown"
        failed = (state.failed_keys, address, "too many requests without a valid key from here")
        if not token:
            _throttle(*failed)
            raise Problem(401, "unauthorized", "an API key is needed: 'Authorization: Bearer oi_…'")
        key = await run_in_threadpool(_find_key, state, token)
        if key is None:
            _throttle(*failed)
            raise Problem(401, "unauthorized", "unknown or revoked API key")
        if not allows(key.scope, scope):
            raise Problem(
                403, "forbidden", f"this key's scope is {key.scope!r}; {scope!r} is needed"
            )
        _throttle(state.limiter, key.id, "too many requests for this key")
        return key

    return check


def _throttle(limiter: RateLimiter, who: str, detail: str) -> None:
    """Take one request from ``who``'s allowance; none left → 429 with ``Retry-After``."""
    wait = limiter.check(who)
    if wait:
        raise Problem(429, "rate_limited", detail, retry_after=max(1, round(wait)))


def _find_key(state: AppState, token: str) -> ApiKey | None:
    with state.db.session() as session:
        return find_key(session, token)


PredictKey = Annotated[ApiKey | None, Depends(require("predict"))]
TrainKey = Annotated[ApiKey | None, Depends(require("train"))]
AdminKey = Annotated[ApiKey | None, Depends(require("admin"))]


def caller_of(request: Request, key: ApiKey | None) -> Caller:
    """Who makes ``request``: its key (None when the server runs without keys, which sees
    every row and is named ``local``), and the client's address."""
    address = request.client.host if request.client else None
    if key is None:
        return Caller(actor="local", address=address)
    return Caller.of_key(key, address=address)


async def _train_caller(request: Request, key: TrainKey) -> Caller:
    return caller_of(request, key)


async def _admin_caller(request: Request, key: AdminKey) -> Caller:
    return caller_of(request, key)


TrainCaller = Annotated[Caller, Depends(_train_caller)]
"""A caller with a ``train`` key or above (the key is checked as ``TrainKey`` checks it)."""
AdminCaller = Annotated[Caller, Depends(_admin_caller)]
"""A caller with an ``admin`` key (the key is checked as ``AdminKey`` checks it)."""


Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip.")]


@dataclass(frozen=True)
class Page:
    """Which rows of a list a request asks for (``?limit=&offset=``)."""

    limit: int
    offset: int


def get_page(limit: Limit = 50, offset: Offset = 0) -> Page:
    """The page a list request asks for: ``limit`` rows (1 to 500) after ``offset``."""
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(get_page)]
