"""The monitor's classifiers trained as a job (kind ``monitor-classifier``): queued by
``POST /v1/monitors/{id}/classifiers`` (202) on a stored dataset, run by a real worker
(its child process fine-tunes a tiny BERT), registered, and the monitor pointed at the
new version, so a monitor that answered 409 ``model_not_ready`` ingests with it."""

from __future__ import annotations

import pytest

from open_interpreter.apps.monitor import training
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.services.worker import Worker

from ...fixtures.api import problem
from .test_api import ALIASES, BAD, GOOD, batch, create, headers

WORDS = {"positive": "the cat sat", "negative": "the dog ran", "neutral": "a cat in the"}
FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}
TINY = {
    "model": "tiny-bert",
    "epochs": 1,
    "batch_size": 4,
    "max_length": 16,
    "learning_rate": 5e-3,
    "trainable_top_layers": 1,
    "warmup_ratio": 0.0,
    "num_threads": 1,
}


def upload(client, hdrs, rows: list[tuple[str, str]], name: str) -> str:
    text = "text,label\n" + "".join(f"{t},{label}\n" for t, label in rows)
    answer = client.post(
        "/v1/datasets", headers=hdrs, data={"name": name}, files={"file": (f"{name}.csv", text)}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_trained_as_a_job_registered_and_the_monitor_uses_it(client, db, tiny_bert_name):
    alice = headers(db, "train")
    mid = create(client, alice, name="acme", sentiment="model", topics=False, aliases=ALIASES)
    docs = batch(0, [GOOD, BAD, BAD])
    problem(
        client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=docs),
        409,
        "model_not_ready",
    )
    rows = [(f"{WORDS[label]} {i}", label) for i in range(8) for label in WORDS]
    train = upload(client, alice, rows, "sentiment-train")
    url = f"/v1/monitors/{mid}/classifiers"
    body = {"classifier": "sentiment", "train_dataset_id": train, "settings": TINY}
    queued = client.post(url, headers=alice, json=body)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["kind"] == "monitor-classifier" and job["status"] == "queued"
    assert job["model_name"] == "acme-sentiment"
    assert queued.headers["Location"] == f"/v1/fine-tunes/{job['id']}"

    assert Worker(db.url, worker_id="solo", migrate=False, **FAST).run_once() is True
    done = client.get(f"/v1/fine-tunes/{job['id']}", headers=alice).json()
    assert done["status"] == "succeeded", done
    assert done["result"]["reference"] == "acme-sentiment@1"
    assert done["result"]["classifier"] == "sentiment" and done["result"]["monitor_id"] == mid
    monitor = client.get(f"/v1/monitors/{mid}", headers=alice).json()
    assert monitor["sentiment_model"] == "acme-sentiment@1" and monitor["sentiment"] == "model"
    versions = client.get("/v1/models/acme-sentiment/versions", headers=alice).json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["lineage"]["monitor_id"] == mid
    assert versions[0]["lineage"]["datasets"]["train"]["id"] == train

    ingested = client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=docs)
    assert ingested.status_code == 200, ingested.text
    assert ingested.json()["stored"] == 3
    stored = client.get(
        f"/v1/monitors/{mid}/documents",
        headers=alice,
        params={"key": "entity:Acme", "at": "2024-05-01T09:30:00"},
    ).json()["data"]
    assert len(stored) == 3 and all(-1 <= d["sentiment"] <= 1 for d in stored)


def test_bad_requests_are_refused_before_anything_is_queued(client, db):
    alice, bob = headers(db, "train"), headers(db, "train")
    lexicon = create(client, alice, name="dictionary")
    url = f"/v1/monitors/{lexicon}/classifiers"
    topics = upload(client, alice, [("a b", "sport"), ("c d", "tech")], "topics")
    problem(
        client.post(url, headers=alice, json={"classifier": "topic", "train_dataset_id": topics}),
        409,
        "conflict",
    )
    wrong = client.post(
        url, headers=alice, json={"classifier": "sentiment", "train_dataset_id": topics}
    )
    assert "negative" in problem(wrong, 400, "invalid_data")["detail"]
    unknown = {"classifier": "sentiment", "train_dataset_id": "ds_nope"}
    problem(client.post(url, headers=alice, json=unknown), 404, "not_found")
    mine = {"classifier": "sentiment", "train_dataset_id": topics}
    problem(client.post(url, headers=bob, json=mine), 404, "not_found")
    problem(client.post(url, headers=headers(db, "predict"), json=mine), 403, "forbidden")
    assert client.get("/v1/fine-tunes", headers=alice).json()["count"] == 0

    with pytest.raises(ConfigError, match="unknown settings"):
        training.check(
            {"monitor_id": "mon_1", "classifier": "topic", "settings": {"output_dir": "/"}}
        )
    with pytest.raises(ConfigError, match="never a path"):
        training.check(
            {"monitor_id": "mon_1", "classifier": "topic", "settings": {"model": "/etc"}}
        )
    with pytest.raises(ConfigError, match="classifier"):
        training.check({"monitor_id": "mon_1", "classifier": "ner"})
    with pytest.raises(DataError, match="two topics"):
        training.check_labels("topic", ["sport"])


def test_a_retried_job_whose_version_is_registered_only_points_the_monitor(db, tmp_path):
    from open_interpreter.apps.monitor import Monitor
    from open_interpreter.services import datasets, jobs, registry
    from open_interpreter.services.job_queue import Lease
    from open_interpreter.services.job_runner import run_job

    from ...services.records import claim, fake_saved_model, status_of

    monitor = Monitor("acme", database=db, sentiment="lexicon", topics=False)
    with db.session() as session:
        dataset = datasets.store_upload(
            session,
            name="s",
            filename="s.csv",
            data=b"text,label\nthe cat,positive\nthe dog,negative\n",
            declared_format=None,
        )
        config = {"monitor_id": monitor.id, "classifier": "sentiment"}
        job = jobs.create_job(
            session,
            model_name="acme-sentiment",
            config=config,
            train_dataset_id=dataset.id,
            kind=training.KIND,
        )
        # an earlier attempt registered its version, then died before finishing the job
        registry.register_version(
            session,
            model_name="acme-sentiment",
            source_dir=fake_saved_model(tmp_path / "saved", task="sequence-classification"),
            task="sequence-classification",
            base_model="tiny-bert",
            metrics={"accuracy": 0.5},
            lineage={},
            job_id=job.id,
        )
    assert run_job(db, Lease.of(claim(db))) == "succeeded"
    done = status_of(db, job.id)
    assert done.result["reference"] == "acme-sentiment@1" and done.result["version"] == 1
    reopened = Monitor("acme", database=db)
    assert reopened.settings.sentiment_model == "acme-sentiment@1"
    assert reopened.settings.sentiment == "model"
    with db.session() as session:
        assert [v.version for v in registry.list_versions(session, "acme-sentiment")] == [1]
