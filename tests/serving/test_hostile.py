"""Hostile requests the OpenAPI does not describe, so the fuzzer (``test_fuzz.py``) cannot
send them: chunked and slow bodies over real sockets to a real uvicorn server, header
bytes no HTTP client library sends, and names in every script and at 10,000 characters.

Each must get a 4xx problem, never a 5xx, and leave the server answering everyone else.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from open_interpreter.errors import ConfigError
from open_interpreter.services.api_keys import create_key
from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database

from ..fixtures.api import key
from ..fixtures.data import conll_bytes

BODY_LIMIT = 4096
BODY_SECONDS = 1.0


@dataclass
class LiveServer:
    """``oi serve``'s uvicorn on a free port, in a thread; ``headers`` carry a train key."""

    port: int
    headers: dict[str, str]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def healthy(self) -> float:
        """Seconds a fresh client waited for ``GET /health`` (asserted to be 200)."""
        started = time.monotonic()
        response = httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=5)
        assert response.status_code == 200, response.text
        return time.monotonic() - started


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    db = Database(f"sqlite:///{tmp_path / 'oi.db'}")
    settings = Settings(
        database_url=db.url, max_body_bytes=BODY_LIMIT, body_read_timeout_s=BODY_SECONDS
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), log_level="warning"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield LiveServer(listening.getsockname()[1], key(db, "train"))
    finally:
        server.should_exit = True
        thread.join(10)
        db.dispose()


def _request_head(method: str, path: str, headers: dict[str, str | bytes]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    for name, value in headers.items():
        lines.append(
            name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
        )
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    """Read until the server closes the connection (a socket timeout fails the test: the
    server kept it open); the status, headers and problem body."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    assert headers["content-type"].startswith("application/problem+json"), data
    return int(status_line.split()[1]), headers, json.loads(body)


# Chunked bodies: no Content-Length to trust ------------------------------------------------


def test_a_chunked_body_over_the_limit_is_cut_off_and_its_connection_closed(live_server):
    json_body = {**live_server.headers, "Content-Type": "application/json"}
    with live_server.connect() as sock:
        sock.sendall(
            _request_head("POST", "/v1/fine-tunes", {**json_body, "Transfer-Encoding": "chunked"})
        )
        for _ in range(BODY_LIMIT // 1024 + 1):
            sock.sendall(b"400\r\n" + b" " * 1024 + b"\r\n")
        status, headers, body = _answer(sock)
    assert (status, body["code"], headers["connection"]) == (413, "too_large", "close")
    live_server.healthy()


def test_a_chunked_body_without_a_key_is_refused_before_it_is_read(live_server):
    with live_server.connect() as sock:
        sock.sendall(
            _request_head(
                "POST",
                "/v1/fine-tunes",
                {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            )
        )
        status, headers, body = _answer(sock)
    assert (status, body["code"], headers["connection"]) == (401, "unauthorized", "close")
    live_server.healthy()


# Slow bodies: uvicorn has no timeout for a body still arriving -----------------------------


SLOW_BODIES = [
    ("/v1/fine-tunes", "application/json", b'{"model_name": "m"'),
    ("/v1/datasets", "multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form"),
]


@pytest.mark.parametrize(("path", "content_type", "start"), SLOW_BODIES, ids=["json", "upload"])
def test_a_slow_body_is_cut_off_at_the_deadline_while_others_are_served(
    live_server, path, content_type, start
):
    headers = {**live_server.headers, "Content-Type": content_type, "Content-Length": "1000"}
    with live_server.connect() as slow:
        started = time.monotonic()
        slow.sendall(_request_head("POST", path, headers))
        for piece in (start[:4], start[4:8], start[8:12], start[12:]):  # well within the deadline
            slow.sendall(piece)
            assert live_server.healthy() < BODY_SECONDS / 2
            time.sleep(0.1)
        select.select([slow], [], [], 5)
        waited = time.monotonic() - started
        status, headers, body = _answer(slow)
    assert (status, body["code"], headers["connection"]) == (408, "request_timeout", "close")
    assert BODY_SECONDS <= waited < BODY_SECONDS + 2
    live_server.healthy()


def test_an_answer_sent_before_the_body_has_arrived_closes_the_connection(live_server):
    """Otherwise uvicorn keeps it open, dropping what the client sends, for as long as it
    sends anything (its keep-alive timeout starts again with every byte)."""
    headers = {
        **live_server.headers,
        "Content-Type": "multipart/form-data; boundary=b",
        "Content-Length": "1000",
    }
    with live_server.connect() as sock:
        sock.sendall(_request_head("POST", "/v1/datasets", headers) + b"-- not a part")
        status, headers, _ = _answer(sock)
    assert (status, headers["connection"]) == (400, "close")


# Last-Event-ID: bytes a client library would not send --------------------------------------

MALFORMED_IDS = [b"\xb2", b"1\xb3", "١٢".encode(), "①".encode(), b"", b"9" * 10_000, b"1 2"]
"""Superscript digits as latin-1 bytes (``str.isdigit`` takes them; ``int`` does not),
other scripts' digits as UTF-8, nothing, 10,000 digits, a gap."""


def test_a_malformed_last_event_id_in_raw_bytes_is_a_bad_request(live_server):
    job = _cancelled_job(live_server)
    for resume in MALFORMED_IDS:
        with live_server.connect() as sock:
            extra = {"Last-Event-ID": resume, "Connection": "close"}
            path = f"/v1/fine-tunes/{job}/events"
            sock.sendall(_request_head("GET", path, {**live_server.headers, **extra}))
            status, _, body = _answer(sock)
        assert (status, body["code"]) == (400, "bad_request"), (resume[:20], body)
    live_server.healthy()


def _cancelled_job(server: LiveServer) -> str:
    """A job whose event stream ends at once, were a resume id accepted."""
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers=server.headers) as http:
        dataset = http.post("/v1/datasets", files={"file": ("a.conll", conll_bytes(4, 0))})
        job = http.post(
            "/v1/fine-tunes", json={"model_name": "m", "train_dataset_id": dataset.json()["id"]}
        ).json()["id"]
        http.post(f"/v1/fine-tunes/{job}/cancel").raise_for_status()
    return job


# Names: every script, and 10,000 characters; NULs -------------------------------------------

NAMES = {
    "10k-ascii": "x" * 10_000,
    "10k-accented": "é" * 10_000,
    "han": "模型",
    "emoji": "model-🤖",
    "right-to-left": "نموذج",
    "zero-width": "a\u200bb",
    "combining": "e\u0301",
    "nul": "a\x00b",
}


def _refused(response, what: str) -> None:
    assert 400 <= response.status_code < 500, (what, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json"), what


def test_a_hostile_model_name_is_refused(client, db):
    headers = key(db, "admin")
    dataset = client.post(
        "/v1/datasets", headers=headers, files={"file": ("a.conll", conll_bytes(4, 0))}
    ).json()["id"]
    job = {"model_name": "m", "train_dataset_id": dataset}
    for label, name in NAMES.items():
        segment = quote(name, safe="")
        for method, path, body in [
            ("GET", f"/v1/models/{segment}", None),
            ("GET", f"/v1/models/{segment}/versions", None),
            ("GET", f"/v1/models/{segment}/versions/1/report", None),
            ("DELETE", f"/v1/models/{segment}", None),
            ("POST", f"/v1/models/{segment}/promote", {"version": 1}),
            ("POST", f"/v1/models/{segment}/predict", {"texts": ["hello"]}),
            ("POST", f"/v1/models/{segment}/explain", {"text": "hello"}),
            ("POST", "/v1/generate", {"model": name, "prompt": "hello"}),
            ("POST", "/v1/chat/completions", {"model": name, "messages": [_hello()]}),
            ("POST", "/v1/prompts/render", {"template": "hi", "inputs": [{}], "model": name}),
            ("POST", "/v1/fine-tunes", {"model_name": name, "train_dataset_id": dataset}),
            ("POST", "/v1/fine-tunes", {**job, "config": {"model": name}}),
            ("POST", "/v1/evaluations", {"model_name": name, "dataset_id": dataset}),
        ]:
            response = client.request(method, path, headers=headers, json=body)
            _refused(response, f"{method} {path[:40]} ({label})")
        listed = client.get(f"/v1/evaluations?model_name={segment}", headers=headers)
        if listed.status_code == 200:  # a filter that matches nothing
            assert listed.json()["count"] == 0
        else:
            _refused(listed, f"evaluations of {label}")
        upload = {"archive": ("m.tar.gz", b"not an archive")}
        registered = client.post("/v1/models", headers=headers, data={"name": name}, files=upload)
        _refused(registered, f"POST /v1/models ({label})")


def test_a_hostile_dataset_name_is_refused_and_a_hostile_file_name_made_safe(client, db):
    headers = key(db, "train")
    data = conll_bytes(4, 0)
    for label, name in NAMES.items():
        named = client.post(
            "/v1/datasets", headers=headers, data={"name": name}, files={"file": ("a.conll", data)}
        )
        _refused(named, f"upload named {label}")
        found = client.get(f"/v1/datasets/{quote(name, safe='')}", headers=headers)
        _refused(found, f"dataset {label}")
        from_file = client.post(
            "/v1/datasets", headers=headers, files={"file": (f"{name}.conll", data)}
        )
        if from_file.status_code == 201:
            assert 0 < len(from_file.json()["name"]) <= 100
        else:  # python-multipart refuses a part's header over its own limit
            _refused(from_file, f"a file named {label}")


def test_a_hostile_prompt_name_is_refused(client, db):
    headers = key(db, "train")
    for label, name in NAMES.items():
        saved = client.post("/v1/prompts", headers=headers, json={"name": name, "text": "hi"})
        _refused(saved, f"prompt {label}")
        segment = quote(name, safe="")
        for method, path in [
            ("GET", f"/v1/prompts/{segment}"),
            ("GET", f"/v1/prompts/{segment}/versions/1"),
            ("GET", f"/v1/prompts/{segment}/diff"),
            ("DELETE", f"/v1/prompts/{segment}"),
        ]:
            _refused(client.request(method, path, headers=headers), f"{method} {label}")


def test_a_nul_is_refused_the_same_on_either_database(client, db):
    """PostgreSQL cannot hold a NUL in text: a lookup by it was a 500 there (the fuzzer's
    find), a saved prompt holding one too."""
    headers = key(db, "admin")
    for path in [
        "/v1/datasets/%00",
        "/v1/evaluations/%00",
        "/v1/evaluations?model_name=%00",
        "/v1/fine-tunes/%00/history",
    ]:
        _refused(client.get(path, headers=headers), path)
    for field in ["text", "system", "description"]:
        body = {"name": "p", "text": "hi", field: "a\x00b"}
        _refused(client.post("/v1/prompts", headers=headers, json=body), field)


def test_a_key_name_is_a_label_of_printable_characters_that_fits(db):
    with db.session() as session:
        for name in NAMES.values():
            if len(name) <= 200 and name.isprintable():
                row, _ = create_key(session, name=name, scope="predict")
                assert row.name == name
            else:
                with pytest.raises(ConfigError, match="key name"):
                    create_key(session, name=name, scope="predict")


def _hello() -> dict[str, str]:
    return {"role": "user", "content": "hello"}
