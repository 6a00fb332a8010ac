"""API keys: health needs none, everything else a key of the right scope."""

from __future__ import annotations

from ..fixtures.api import key, make_client, problem


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


def test_guessing_keys_is_rate_limited_per_address(db):
    with make_client(db, failed_auth_per_minute=3) as client:
        guesses = [
            client.get("/v1/models", headers={"Authorization": f"Bearer oi_guess{i}"})
            for i in range(3)
        ]
        assert [r.status_code for r in guesses] == [401, 401, 401]
        limited = problem(client.get("/v1/models"), 429, "rate_limited")
        assert "without a valid key" in limited["detail"]
        assert int(client.get("/v1/models").headers["retry-after"]) >= 1
        assert client.get("/v1/models", headers=key(db, "predict")).status_code == 200
