"""Exports over the API: queued as a job (``"wait": false``, 202) or made in the request
(201) with parity on a stored dataset; which export serves shown in the listing and on
the dashboard's Models page."""

from __future__ import annotations

import pytest

from open_interpreter.services import job_queue, registry
from open_interpreter.services.datasets import store_upload
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import run_job
from open_interpreter.serving.routes import exports as export_routes

from ..fixtures.api import key, make_client, problem
from ..fixtures.data import conll_bytes

EXPORTS = "/v1/models/ner/versions/1/exports"


@pytest.fixture
def registered(db, tiny_ner_model_dir):
    """The tiny NER model registered as ``ner`` version 1."""
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
    return "ner"


def run_queued_job(db) -> str:
    """Claim the oldest queued job and run it in this process, as a worker's child does."""
    with db.session() as session:
        job = job_queue.claim_job(session, worker_id="test")
    return run_job(db, Lease.of(job))


def test_an_export_queued_as_a_job_answers_202_and_the_job_keeps_its_card(client, db, registered):
    admin = key(db, "admin")
    queued = client.post(EXPORTS, json={"wait": False}, headers=admin)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["kind"] == "export" and job["status"] == "queued"
    assert job["config"] == {"version": 1, "quantize": None}
    assert queued.headers["location"] == f"/v1/fine-tunes/{job['id']}"
    assert client.get(EXPORTS, headers=admin).json() == []  # nothing until a worker runs it

    assert run_queued_job(db) == "succeeded"
    done = client.get(f"/v1/fine-tunes/{job['id']}", headers=admin).json()
    assert done["status"] == "succeeded" and done["result"]["precision"] == "fp32"
    listed = client.get(EXPORTS, headers=admin).json()
    assert [(e["precision"], e["serves"]) for e in listed] == [("fp32", False)]
    assert listed[0]["size_bytes"] == done["result"]["size_bytes"]
    assert listed[0]["created_at"] == done["result"]["created_at"] is not None
    assert 'data-backend="torch"' in client.get("/models").text

    with make_client(db, backend="onnx") as onnx_client:
        listed = onnx_client.get(EXPORTS, headers=admin).json()
        assert [(e["precision"], e["serves"]) for e in listed] == [("fp32", True)]
        page = onnx_client.get("/models").text
        assert 'data-backend="onnx"' in page and "int8 (else fp32)" in page


def test_an_export_in_the_request_checks_parity_on_a_stored_dataset(
    client, db, registered, monkeypatch
):
    admin = key(db, "admin")
    with db.session() as session:
        dataset = store_upload(
            session, name="dev", filename="dev.conll", data=conll_bytes(10, 5), declared_format=None
        ).id
    missing = client.post(EXPORTS, json={"dataset_id": "ds_nope"}, headers=admin)
    assert "ds_nope" in problem(missing, 404, "not_found")["detail"]

    made = client.post(EXPORTS, json={"dataset_id": dataset}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["parity"]["sample"].startswith("10 ")

    monkeypatch.setattr(export_routes, "_has_torch", lambda: False)  # a torch-free image
    refused = client.post(EXPORTS, json={}, headers=admin)
    assert '"wait": false' in problem(refused, 422, "export_refused")["detail"]


def test_a_queued_export_is_refused_before_queueing_without_admin_or_version(
    client, db, registered
):
    body = {"wait": False}
    train = key(db, "train")
    problem(client.post(EXPORTS, json=body, headers=train), 403, "forbidden")
    admin = key(db, "admin")
    problem(
        client.post("/v1/models/ner/versions/4/exports", json=body, headers=admin),
        404,
        "not_found",
    )
    assert client.get("/v1/fine-tunes", headers=admin).json()["count"] == 0
