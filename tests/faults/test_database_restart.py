"""The database restarts while clients keep calling the API: while it is down every
request is a 503 problem with ``Retry-After`` (never a 500), and once it is back the
same server answers 200 again, without being restarted. On a PostgreSQL server of the
test's own (``own_postgres.py``), so stopping it disturbs nothing else."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass

import httpx
import pytest

from open_interpreter.storage import Database

from ..fixtures.api import key
from ..fixtures.database import POSTGRES_SKIP
from .own_postgres import OwnPostgres, binaries
from .processes import free_port, start_server, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]
CLIENTS = 4


@dataclass(frozen=True)
class Answer:
    sent: float
    at: float
    status: int
    retry_after: str | None
    content_type: str
    code: str | None


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, started; removed afterwards."""
    if not os.environ.get("OI_TEST_DATABASE_URL"):
        pytest.skip(POSTGRES_SKIP)
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    server = OwnPostgres(bin_dir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.remove()


def test_a_database_restart_answers_503_with_retry_after_then_recovers(
    own_postgres, tmp_path, monkeypatch
):
    monkeypatch.setenv("OI_RATE_LIMIT_PER_MINUTE", "1000000")
    db = Database(own_postgres.url)
    headers = key(db, "train")
    db.dispose()
    port = free_port()
    answers: list[Answer] = []
    stop = threading.Event()
    with start_server(own_postgres.url, port, log=tmp_path / "server.log") as server:
        clients = [
            threading.Thread(target=_call, args=(port, headers, answers, stop), daemon=True)
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        try:
            wait_for(lambda: _count(answers, 200) >= 10, 30, "answers before the restart")
            own_postgres.stop()
            down = time.monotonic()
            wait_for(lambda: _count(answers, 503, after=down) >= 10, 30, "503s while it is down")
            restart = time.monotonic()
            own_postgres.start()
            up = time.monotonic()
            wait_for(lambda: _count(answers, 200, after=up) >= 10, 30, "200s once it is back")
        finally:
            stop.set()
            for client in clients:
                client.join(10)
        server.check_alive()

    odd = [a for a in answers if a.status not in (200, 503)]  # 0: no answer at all
    assert not odd, odd[:5]
    assert "Traceback" not in (tmp_path / "server.log").read_text()  # no answer broken off
    while_down = [a for a in answers if down <= a.sent and a.at < restart]
    assert while_down and [a for a in while_down if a.status != 503] == []
    for answer in (a for a in answers if a.status == 503):
        assert answer.content_type.startswith("application/problem+json")
        assert answer.code == "database_unavailable"
        assert answer.retry_after is not None and int(answer.retry_after) >= 1
    last = sorted(answers, key=lambda a: a.at)[-CLIENTS:]
    assert all(a.status == 200 for a in last)


def _call(port: int, headers: dict[str, str], answers: list[Answer], stop: threading.Event):
    """Ask for the datasets (the key is checked in the database, then the list read) and
    the health (a query of its own) until ``stop``; note every answer and when it came."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
        while not stop.is_set():
            for path in ("/v1/datasets", "/health"):
                sent = time.monotonic()
                try:
                    response = client.get(path)
                except httpx.TransportError as exc:
                    answers.append(Answer(sent, time.monotonic(), 0, None, "", repr(exc)))
                    continue
                is_problem = response.headers.get("content-type", "").endswith("problem+json")
                answers.append(
                    Answer(
                        sent=sent,
                        at=time.monotonic(),
                        status=response.status_code,
                        retry_after=response.headers.get("retry-after"),
                        content_type=response.headers.get("content-type", ""),
                        code=response.json().get("code") if is_problem else None,
                    )
                )
            time.sleep(0.02)


def _count(answers: list[Answer], status: int, *, after: float = 0.0) -> int:
    return sum(1 for a in list(answers) if a.status == status and a.at >= after)
