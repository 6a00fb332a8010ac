"""API keys: health needs none, everything else a key of the right scope."""

from __future__ import annotations

from ..fixtures.api import key, problem


def test_health_needs_no_key_and_everything_else_does(client, db):
    assert client.get("/health").json()["status"] == "ok"
    problem(client.get("/v1/datasets"), 401, "unauthorized")
    problem(
        client.get("/v1/datasets", headers={"Authorization": "Bearer oi_nope"}), 401, "unauthorized"
    )
    body = problem(client.get("/v1/datasets", headers=key(db, "predict")), 403, "forbidden")
    assert "'train' is needed" in body["detail"]
    assert client.get("/v1/datasets", headers=key(db, "train")).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Open Interpreter"
