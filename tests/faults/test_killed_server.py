"""The server SIGKILLed with two uploads in flight, on PostgreSQL: one half-written (a
dataset being written, or a model being copied into the registry) and the other with only
half its body received. No row is left in the database, and once the server is back
nothing is left under the artifacts (what the crash left half-written is swept at start).
A real ``oi serve`` process, fed by raw sockets so a body can stop halfway."""

from __future__ import annotations

import socket
import sys

import httpx
import pytest
from sqlalchemy import func, select

from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.tables import Dataset, ModelVersion, RegisteredModel

from ..fixtures.api import key, make_client, tar_gz
from ..fixtures.data import conll_bytes
from .processes import free_port, leftovers, start_server, wait_for_barrier

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]


@pytest.mark.parametrize(
    "moment", ["dataset", "registry-copy"], ids=["writing-a-dataset", "copying-a-model"]
)
def test_a_server_killed_mid_upload_leaves_no_row_and_no_file(
    db, tiny_ner_model_dir, tmp_path, moment
):
    headers = key(db, "admin")
    port = free_port()
    dataset = _upload(port, headers, "/v1/datasets", {"name": "tiny"}, "file", conll_bytes(200, 0))
    model = _upload(
        port, headers, "/v1/models", {"name": "ner"}, "archive", tar_gz(tiny_ner_model_dir)
    )
    stored, cut_short = (dataset, model) if moment == "dataset" else (model, dataset)
    barrier = tmp_path / "stalled"
    with start_server(
        db.url, port, log=tmp_path / "server.log", stall=moment, barrier=barrier
    ) as server:
        connections = [_send(port, cut_short, fraction=0.5), _send(port, stored)]
        wait_for_barrier(barrier, server)
        assert leftovers(), "the stalled write should be under a temporary name"
        server.kill()  # one upload half-written, the other with half its body received
    for connection in connections:
        connection.close()

    assert _rows(db) == {"datasets": 0, "models": 0, "versions": 0}
    with make_client(db) as client:  # the app started again: its start sweeps what was left
        assert leftovers() == []
        assert [p for p in artifacts.artifacts_dir().rglob("*") if p.is_file()] == []
        again = client.post(
            "/v1/datasets", headers=headers, files={"file": ("tiny.conll", conll_bytes(12, 0))}
        )
        assert again.status_code == 201, again.text


def _upload(
    port: int, headers: dict[str, str], path: str, fields: dict[str, str], name: str, data: bytes
) -> bytes:
    """The whole HTTP/1.1 request of a multipart upload, as bytes on the wire."""
    request = httpx.Request(
        "POST",
        f"http://127.0.0.1:{port}{path}",
        headers=headers,
        data=fields,
        files={name: (f"upload.{'conll' if name == 'file' else 'tar.gz'}", data)},
    )
    body = request.read()
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _send(port: int, request: bytes, *, fraction: float = 1.0) -> socket.socket:
    """Send ``request`` (its first ``fraction``) and leave the connection open."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(request[: int(len(request) * fraction)])
    return connection


def _rows(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table))
            for name, table in (
                ("datasets", Dataset),
                ("models", RegisteredModel),
                ("versions", ModelVersion),
            )
        }
