"""Errors no route raises on purpose: a database that cannot be reached is a 503 with
``Retry-After``, a full disk a 507, anything else a 500 (the fault tests in
``tests/faults`` bring these about for real)."""

from __future__ import annotations

import errno
import os

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from open_interpreter.errors import OutOfSpaceError
from open_interpreter.serving import problems

from ..fixtures.api import problem

RAISED = {
    "refused": OperationalError("select 1", {}, ConnectionRefusedError("connection refused")),
    "pool": PoolTimeoutError("QueuePool limit of size 10 overflow 20 reached"),
    "constraint": IntegrityError("insert", {}, ValueError("duplicate key")),
    "full": OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
    "too_large": OutOfSpaceError("no space left to save the model to /x: File too large"),
    "denied": PermissionError(errno.EACCES, os.strerror(errno.EACCES)),
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    problems.install(app)

    @app.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise RAISED[name]

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("name", ["refused", "pool"])
def test_an_unreachable_database_is_a_503_to_retry(client, name):
    response = client.get(f"/raise/{name}")
    body = problem(response, 503, "database_unavailable")
    assert response.headers["retry-after"] == str(problems.DATABASE_RETRY_AFTER_S)
    assert body["retry_after"] == problems.DATABASE_RETRY_AFTER_S


@pytest.mark.parametrize("name", ["full", "too_large"])
def test_a_full_disk_is_a_507(client, name):
    problem(client.get(f"/raise/{name}"), 507, "insufficient_storage")


@pytest.mark.parametrize("name", ["constraint", "denied"])
def test_other_database_and_file_errors_are_still_bugs(client, name):
    problem(client.get(f"/raise/{name}"), 500, "internal_error")
