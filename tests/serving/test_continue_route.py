"""``POST /v1/models/{name}/continue``: a continue job queued by hand on a stored dataset,
refused before anything is queued when it could not run, and run by a worker behind the
gate; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from open_interpreter.storage.tables import FineTuneJob

from ..continual.helpers import first_version
from ..fixtures.api import key, problem, upload_model
from ..fixtures.data import conll_bytes, sentiment_texts

SETTINGS = {"epochs": 1, "progress": False, "num_threads": 1, "batch_size": 8}


@pytest.fixture(scope="module")
def continued(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sentiment classifier with a continual record (read-only)."""
    return first_version(tiny_bert_dir, tmp_path_factory.mktemp("continue-route") / "sent").path


def _csv(texts: list[str], labels: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels, strict=True))
    return out.getvalue().encode()


def _dataset(client, headers, filename: str, content: bytes) -> str:
    response = client.post("/v1/datasets", headers=headers, files={"file": (filename, content)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _continue_jobs(db) -> list[FineTuneJob]:
    with db.session() as session:
        return list(session.scalars(select(FineTuneJob).where(FineTuneJob.kind == "continue")))


def test_a_continue_request_that_could_not_run_is_refused_before_queueing(client, db, continued):
    upload_model(client, key(db, "admin"), "sent", continued)
    train, predict = key(db, "train"), key(db, "predict")
    texts, labels = sentiment_texts(12, seed=4)
    good = _dataset(client, train, "new.csv", _csv(texts, labels))
    renamed = _dataset(client, train, "renamed.csv", _csv(texts, [x.title() for x in labels]))
    tags = _dataset(client, train, "ner.conll", conll_bytes(6, 0))

    def post(body: dict, headers=train, name: str = "sent"):
        return client.post(f"/v1/models/{name}/continue", headers=headers, json=body)

    problem(post({"dataset_id": good}, headers=predict), 403, "forbidden")
    problem(post({"dataset_id": good}, name="nope"), 404, "not_found")
    problem(post({"dataset_id": "ds_0000000000000000"}), 404, "not_found")
    others = post({"dataset_id": good}, headers=key(db, "train"))
    problem(others, 404, "not_found")  # another key's dataset is not there for it
    problem(post({"dataset_id": good, "strategy": "bogus"}), 422, "validation_error")
    problem(post({"dataset_id": good, "settings": {"epochs": -1}}), 422, "invalid_config")
    problem(post({"dataset_id": good, "settings": {"nope": 1}}), 422, "invalid_config")
    lora = problem(
        post({"dataset_id": good, "strategy": "lora-per-version"}), 422, "invalid_config"
    )
    assert "a whole model" in lora["detail"]
    shape = problem(post({"dataset_id": tags}), 400, "invalid_data")
    assert "ner.conll" in shape["detail"]
    label = problem(post({"dataset_id": renamed}), 400, "unknown_label")
    assert "label_map" in label["detail"]
    assert _continue_jobs(db) == []
    fixed = post(
        {
            "dataset_id": renamed,
            "settings": {"label_map": {"Positive": "positive", "Negative": "negative"}},
        }
    )
    assert fixed.status_code == 202, fixed.text


def test_a_continue_job_queued_by_hand_trains_on_the_dataset_behind_the_gate(client, db, continued):
    from open_interpreter.services import jobs, registry
    from open_interpreter.services.job_queue import Lease, claim_job
    from open_interpreter.services.job_runner import run_job

    upload_model(client, key(db, "admin"), "sent", continued)
    with db.session() as session:
        registry.promote(session, "sent", 1)  # the champion
    train = key(db, "train")
    texts, labels = sentiment_texts(16, seed=5)
    dataset = _dataset(client, train, "new.csv", _csv(texts, labels))
    body = {
        "dataset_id": dataset,
        "strategy": "replay",
        "margin": 1.0,
        "task_name": "reviews-2",
        "settings": SETTINGS,
    }
    response = client.post("/v1/models/sent/continue", headers=train, json=body)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/fine-tunes/{job['id']}"
    assert job["status"] == "queued" and job["kind"] == "continue"
    assert client.get(f"/v1/fine-tunes/{job['id']}", headers=train).status_code == 200
    with db.session() as session:
        lease = Lease.of(claim_job(session, worker_id="w1"))
    assert run_job(db, lease) == "succeeded"
    with db.session() as session:
        result = jobs.get_job(session, job["id"]).result
    assert result["from_version"] == 1 and result["version"] == 2
    assert result["examples"] == 16
    assert result["report"]["tasks"] == ["sentiment", "reviews-2"]
    assert len(result["report"]["matrix"]) == 2
    assert result["promoted"] == result["gate"]["promoted"]


def test_a_lora_model_continues_with_a_new_adapter_by_policy_or_by_hand(
    client, db, tiny_bert_name, tmp_path
):
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training
    from open_interpreter.errors import ConfigError
    from open_interpreter.services import continual_policy as policies
    from open_interpreter.services import jobs
    from open_interpreter.services.job_queue import Lease, claim_job
    from open_interpreter.services.job_runner import run_job

    texts, labels = sentiment_texts(16, seed=2)
    first = continue_training(
        ModelBundle(model_name=tiny_bert_name),  # an adapter's base is a name, not a path
        texts,
        labels,
        strategy="lora-per-version",
        output_dir=tmp_path / "lora",
        **SETTINGS,
    )
    upload_model(client, key(db, "admin"), "lora", first.path)
    with db.session() as session:
        with pytest.raises(ConfigError, match="is an adapter"):
            policies.set_policy(session, "lora", after_feedback=5, strategy="replay")
        policies.set_policy(session, "lora", after_feedback=5, strategy="lora-per-version")
    train = key(db, "train")
    dataset = _dataset(client, train, "more.csv", _csv(*sentiment_texts(12, seed=6)))
    body = {"dataset_id": dataset, "strategy": "lora-per-version", "settings": SETTINGS}
    response = client.post("/v1/models/lora/continue", headers=train, json=body)
    assert response.status_code == 202, response.text
    with db.session() as session:
        lease = Lease.of(claim_job(session, worker_id="w1"))
    assert run_job(db, lease) == "succeeded"
    with db.session() as session:
        result = jobs.get_job(session, response.json()["id"]).result
    assert result["version"] == 2
    assert [step["adapter"] for step in result["report"]["steps"]] == ["default", "version_1"]
