"""The plain-ASGI middleware: body and upload limits, validation errors as problems, metrics."""

from __future__ import annotations

from ..fixtures.api import key, make_client, problem
from ..fixtures.data import conll_bytes


def test_limits_and_validation_errors(db):
    with make_client(db, max_upload_bytes=100, max_body_bytes=200) as client:
        headers = key(db, "train")
        problem(
            client.post(
                "/v1/datasets", headers=headers, files={"file": ("big.conll", conll_bytes(50, 0))}
            ),
            413,
            "too_large",
        )
        json_headers = {**headers, "content-type": "application/json"}
        big = client.post("/v1/fine-tunes", headers=json_headers, content=b"{" + b" " * 500 + b"}")
        problem(big, 413, "too_large")
        body = problem(
            client.post(
                "/v1/fine-tunes",
                headers=headers,
                json={"model_name": "../x", "train_dataset_id": "ds_1"},
            ),
            422,
            "validation_error",
        )
        assert body["errors"][0]["field"] == "model_name"
    with make_client(db) as client:
        problem(client.get("/v1/nothing-here", headers=key(db, "admin")), 404, "not_found")


def test_metrics_for_admins(client, db):
    client.get("/health")
    problem(client.get("/metrics", headers=key(db, "train")), 403, "forbidden")
    text = client.get("/metrics", headers=key(db, "admin")).text
    assert "oi_http_requests_total" in text


def test_a_chunked_body_is_cut_off_at_the_limit(db):
    """No Content-Length to trust: the bytes received are counted."""
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(1)
            yield b" " * 1024

    with make_client(db, max_body_bytes=4096) as client:
        headers = {**key(db, "train"), "content-type": "application/json"}
        response = client.post("/v1/fine-tunes", headers=headers, content=chunks())
        problem(response, 413, "too_large")


async def _call(app, method: str, path: str, headers: dict[str, str], chunks: int) -> tuple:
    """Call the ASGI app directly with a body of ``chunks`` chunks; what it answered and how
    many chunks it read."""
    read = 0
    answer: dict = {}

    async def receive():
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": read < chunks}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "app": app,
    }
    await app(scope, receive, send)
    return answer["status"], read


def test_no_body_is_read_from_a_caller_without_a_key_and_none_past_the_limit(db):
    import asyncio

    with make_client(db, max_body_bytes=10_000) as client:
        app, train = client.app, key(db, "train")
        json = {"content-type": "application/json"}
        status, read = asyncio.run(_call(app, "POST", "/v1/fine-tunes", json, chunks=1000))
        assert (status, read) == (401, 0)
        keyed = {**json, **train}
        status, read = asyncio.run(_call(app, "POST", "/v1/fine-tunes", keyed, chunks=1000))
        assert status == 413 and read <= 11  # stopped at the limit, not after 1 MB
