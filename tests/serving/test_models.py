"""The REST API through HTTP: auth, errors as problem details, datasets, registry, predict."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import httpx
import pytest

from open_interpreter.services import registry

from .api_helpers import conll_bytes, key, make_client, problem, save_tiny_ner_model, tar_gz


@pytest.fixture(scope="module")
def saved_model(tiny_bert_dir, tmp_path_factory) -> Path:
    return save_tiny_ner_model(tiny_bert_dir, tmp_path_factory.mktemp("saved") / "tiny-ner")


@pytest.fixture
def client(db):
    with make_client(db) as client:
        yield client


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


def test_rate_limit_answers_429_with_retry_after(db):
    with make_client(db, rate_limit_per_minute=3) as client:
        headers = key(db, "train")
        statuses = [client.get("/v1/datasets", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/v1/datasets", headers=headers)
        problem(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1


def test_dataset_upload_validates_and_previews(client, db):
    headers = key(db, "train")
    response = client.post(
        "/v1/datasets",
        headers=headers,
        data={"name": "tiny"},
        files={"file": ("train.conll", conll_bytes(10, 0))},
    )
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["shape"], dataset["num_examples"]) == ("tokens", 10)
    assert "B-PER" in dataset["labels"] and dataset["preview"][0]["tokens"]
    assert client.get(f"/v1/datasets/{dataset['id']}", headers=headers).json() == dataset
    assert client.get("/v1/datasets", headers=headers).json()["count"] == 1
    bad = client.post(
        "/v1/datasets", headers=headers, files={"file": ("bad.conll", b"john B-PER\nvisited\n")}
    )
    assert "bad.conll:2" in problem(bad, 400, "invalid_data")["detail"]
    problem(
        client.post("/v1/datasets", headers=headers, files={"file": ("x.pdf", b"%PDF")}),
        400,
        "invalid_data",
    )
    assert client.delete(f"/v1/datasets/{dataset['id']}", headers=headers).status_code == 204
    problem(client.get(f"/v1/datasets/{dataset['id']}", headers=headers), 404, "not_found")


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


def test_register_promote_predict_and_roll_back(client, db, saved_model):
    admin = key(db, "admin")
    files = {"archive": ("tiny-ner.tar.gz", tar_gz(saved_model))}
    first = client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)
    assert first.status_code == 201, first.text
    second = client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 1}).raise_for_status()
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 2}).raise_for_status()
    assert client.post("/v1/models/ner/rollback", headers=admin).json()["version"] == 1

    reader = key(db, "predict")
    response = client.post(
        "/v1/models/ner/predict",
        headers=reader,
        json={"texts": ["Mary visited Berlin", "john works at acme corp"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["task"]) == (1, "token-classification")
    entities = body["predictions"][0]["entities"]
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in entities] == [
        ("PER", "Mary", 0, 4),
        ("LOC", "Berlin", 13, 19),
    ]
    versioned = client.post(
        "/v1/models/ner/predict", headers=reader, json={"texts": ["mary"], "version": 2}
    ).json()
    assert versioned["version"] == 2
    problem(
        client.post("/v1/models/nope/predict", headers=reader, json={"texts": ["x"]}),
        404,
        "not_found",
    )
    problem(
        client.post("/v1/models/ner/predict", headers=reader, json={"texts": []}),
        422,
        "validation_error",
    )


def test_archives_that_escape_are_refused(client, db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil/oi_model.json", "{}")
    response = client.post(
        "/v1/models",
        headers=key(db, "admin"),
        data={"name": "evil"},
        files={"archive": ("evil.zip", buffer.getvalue())},
    )
    assert "escapes" in problem(response, 400, "invalid_archive")["detail"]


def test_predictions_follow_registry_changes(client, db, saved_model):
    admin, reader = key(db, "admin"), key(db, "predict")
    files = {"archive": ("tiny-ner.tar.gz", tar_gz(saved_model))}
    for _ in range(2):
        client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)

    def served() -> int:
        response = client.post("/v1/models/ner/predict", headers=reader, json={"texts": ["x"]})
        assert response.status_code == 200, response.text
        return response.json()["version"]

    assert served() == 2  # none in production: the latest
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 1}).raise_for_status()
    assert served() == 1  # a change through this server is seen at once
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 2}).raise_for_status()
    assert served() == 2
    client.post("/v1/models/ner/rollback", headers=admin).raise_for_status()
    assert served() == 1

    with db.session() as session:  # as another process would: straight to the database
        registry.promote(session, "ner", 2)
    lookup = client.app.state.oi.versions
    assert served() == 1  # remembered for up to lookup.ttl seconds
    lookup.ttl = 0.0
    assert served() == 2
    client.delete("/v1/models/ner", headers=admin).raise_for_status()
    missing = client.post("/v1/models/ner/predict", headers=reader, json={"texts": ["x"]})
    assert missing.status_code == 404


def test_concurrent_predictions_load_once_and_share_forward_passes(db, saved_model):
    app_client = make_client(db, batch_wait_ms=20)
    with app_client as client:
        admin = key(db, "admin")
        client.post(
            "/v1/models",
            headers=admin,
            data={"name": "ner"},
            files={"archive": ("m.tar.gz", tar_gz(saved_model))},
        ).raise_for_status()
        headers = key(db, "predict")
        app = client.app

        async def burst() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                calls = [
                    http.post(
                        "/v1/models/ner/predict",
                        headers=headers,
                        json={"texts": [f"mary visited paris {i}"]},
                    )
                    for i in range(16)
                ]
                return await asyncio.gather(*calls)

        responses = asyncio.run(burst())
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        state = app.state.oi
        assert state.cache.loads == 1
        (loaded,) = state.cache._models.values()
        assert loaded.batcher.batched_texts == 16
        assert loaded.batcher.batches < 16


def test_evaluations_are_stored(client, db, saved_model):
    admin = key(db, "admin")
    client.post(
        "/v1/models",
        headers=admin,
        data={"name": "ner"},
        files={"archive": ("m.tar.gz", tar_gz(saved_model))},
    ).raise_for_status()
    dataset = client.post(
        "/v1/datasets", headers=admin, files={"file": ("dev.conll", conll_bytes(12, 3))}
    ).json()
    response = client.post(
        "/v1/evaluations", headers=admin, json={"model_name": "ner", "dataset_id": dataset["id"]}
    )
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert report["task"] == "token-classification" and "Entity level" in report["text"]
    listed = client.get("/v1/evaluations", headers=admin, params={"model_name": "ner"}).json()
    assert listed["count"] == 1


def test_metrics_for_admins(client, db):
    client.get("/health")
    problem(client.get("/metrics", headers=key(db, "train")), 403, "forbidden")
    text = client.get("/metrics", headers=key(db, "admin")).text
    assert "oi_http_requests_total" in text


@pytest.mark.parametrize("model", ["/etc", "../models/x", "~/models", "a/b/c"])
def test_a_job_base_model_is_never_a_server_path(client, db, model):
    headers = key(db, "train")
    dataset = client.post(
        "/v1/datasets", headers=headers, files={"file": ("train.conll", conll_bytes(4, 0))}
    ).json()
    response = client.post(
        "/v1/fine-tunes",
        headers=headers,
        json={"model_name": "x", "train_dataset_id": dataset["id"], "config": {"model": model}},
    )
    assert "never a path on the server" in problem(response, 422, "invalid_config")["detail"]
