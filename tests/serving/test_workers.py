"""``GET /v1/workers`` (admin keys only) and job resources over HTTP: ``POST
/v1/fine-tunes`` takes bounded ``resources``, a job's ``GET`` shows them, and a job no
running worker fits is queued with a warning that names the largest worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from open_interpreter.services import workers
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.worker_tables import WorkerRecord
from open_interpreter.storage.tables import utcnow

from ..fixtures.api import key, problem
from ..fixtures.data import conll_bytes


def _register(db, worker_id: str, capacity: Capacity, *, seen_ago_s: float = 0) -> None:
    with db.session() as session:
        workers.register_worker(
            session, worker_id=worker_id, capacity=capacity, lease_timeout_s=15, host="node-a"
        )
        seen = utcnow() - timedelta(seconds=seen_ago_s)
        session.execute(
            update(WorkerRecord).where(WorkerRecord.id == worker_id).values(last_seen=seen)
        )
        session.commit()


def test_workers_are_listed_to_admin_keys_only(client, db):
    _register(db, "gpu-1", Capacity(4, 2, 65536))
    _register(db, "cpu-1", Capacity(), seen_ago_s=60)
    problem(client.get("/v1/workers", headers=key(db, "train")), 403, "forbidden")
    admin = key(db, "admin")
    answer = client.get("/v1/workers", headers=admin).json()
    assert answer["count"] == 2
    gpu, cpu = answer["data"]
    assert gpu["id"] == "gpu-1" and gpu["state"] == "idle" and gpu["host"] == "node-a"
    assert gpu["capacity"] == {"processes": 4, "gpus": 2, "memory_mb": 65536}
    assert cpu["id"] == "cpu-1" and cpu["state"] == "lost" and cpu["lease_timeout_s"] == 15
    lost = client.get("/v1/workers?state=lost", headers=admin).json()
    assert [w["id"] for w in lost["data"]] == ["cpu-1"]
    problem(client.get("/v1/workers?state=dead", headers=admin), 422, "invalid_config")


def _post(client, headers, **body):
    dataset = client.post(
        "/v1/datasets", headers=headers, files={"file": ("train.conll", conll_bytes(4, 0))}
    ).json()["id"]
    return client.post(
        "/v1/fine-tunes",
        headers=headers,
        json={"model_name": "x", "train_dataset_id": dataset, **body},
    )


def test_a_job_asks_for_resources_and_shows_them(client, db):
    headers = key(db, "train")
    _register(db, "small", Capacity(2, 0, 8192))
    created = _post(client, headers, resources={"processes": 4, "gpus": 2, "memory_gb": 16})
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["resources"] == {"processes": 4, "gpus": 2, "memory_gb": 16}
    assert job["config"]["distributed"]["processes"] == 4
    [warning] = job["warnings"]
    assert "4 processes, 2 GPUs, 16 GB memory" in warning
    assert "the largest has 2 processes, 0 GPUs, 8 GB memory" in warning
    shown = client.get(f"/v1/fine-tunes/{job['id']}", headers=headers).json()
    assert shown["resources"] == job["resources"] and "warnings" not in shown
    fitting = _post(client, headers, resources={"processes": 2, "memory_gb": 8}).json()
    assert fitting["warnings"] == []
    assert fitting["resources"] == {"processes": 2, "gpus": 0, "memory_gb": 8}
    plain = _post(client, headers).json()
    assert plain["resources"] == {"processes": 1, "gpus": 0, "memory_gb": 0}
    listed = client.get("/v1/fine-tunes", headers=headers).json()["data"]
    assert sorted(j["resources"]["processes"] for j in listed) == [1, 2, 4]


OUT_OF_BOUNDS = [
    {"processes": 0},
    {"processes": 65},
    {"gpus": -1},
    {"memory_gb": 4097},
    {"processes": "2"},
    {"processes": 2.5},
    {"cpus": 2},
]


def test_resources_out_of_bounds_are_refused(client, db):
    headers = key(db, "train")
    for resources in OUT_OF_BOUNDS:
        problem(_post(client, headers, resources=resources), 422, "validation_error")
    assert client.get("/v1/fine-tunes", headers=headers).json()["count"] == 0


def test_resources_that_contradict_the_config_are_refused(client, db):
    response = _post(
        client,
        key(db, "train"),
        config={"distributed": {"processes": 3}},
        resources={"processes": 2},
    )
    assert (
        "differs from distributed.processes=3" in problem(response, 422, "invalid_config")["detail"]
    )
