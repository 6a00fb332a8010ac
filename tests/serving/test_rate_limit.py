"""The rate limit per key: 429 with Retry-After once the bucket is empty."""

from __future__ import annotations

from ..fixtures.api import key, make_client, problem


def test_rate_limit_answers_429_with_retry_after(db):
    with make_client(db, rate_limit_per_minute=3) as client:
        headers = key(db, "train")
        statuses = [client.get("/v1/datasets", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/v1/datasets", headers=headers)
        problem(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1
