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
