"""Feedback on served models, retraining policies, and the one continue job they queue
(also when two triggers race), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from open_interpreter.services import continual_policy as policies
from open_interpreter.services.continual_feedback import (
    add_feedback,
    checked_rows,
    feedback_counts,
)
from open_interpreter.storage.tables import FineTuneJob

from ..continual.helpers import first_version
from ..fixtures.api import key, problem, upload_model
from ..fixtures.data import sentiment_texts


@pytest.fixture(scope="module")
def continued(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sentiment classifier with a continual record (read-only)."""
    return first_version(tiny_bert_dir, tmp_path_factory.mktemp("feedback") / "sent").path


def continue_jobs(db) -> list[FineTuneJob]:
    with db.session() as session:
        return list(session.scalars(select(FineTuneJob).where(FineTuneJob.kind == "continue")))


def test_feedback_is_checked_stored_and_listed_per_owner(client, db, continued):
    admin = key(db, "admin")
    upload_model(client, admin, "sent", continued)
    mine, other = key(db, "predict"), key(db, "predict")
    items = [
        {"text": "a great film", "label": "positive", "predicted": "negative"},
        {"text": "an awful film", "label": "negative"},
    ]
    response = client.post("/v1/models/sent/feedback", headers=mine, json={"items": items})
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 2 and response.json()["queued_job"] is None

    bad = [{"text": "x", "label": "positive"}, {"text": "y", "label": "Positiv"}]
    body = problem(
        client.post("/v1/models/sent/feedback", headers=mine, json={"items": bad}),
        422,
        "unknown_label",
    )
    assert "items.1" in body["detail"] and "'Positiv'" in body["detail"]
    tags = [{"text": "x y", "tags": ["O", "O"]}]
    problem(
        client.post("/v1/models/sent/feedback", headers=mine, json={"items": tags}),
        422,
        "validation_error",
    )
    too_many = [{"text": "x", "label": "positive"}] * 101
    problem(
        client.post("/v1/models/sent/feedback", headers=mine, json={"items": too_many}),
        422,
        "validation_error",
    )
    problem(
        client.post("/v1/models/nope/feedback", headers=mine, json={"items": items}),
        404,
        "not_found",
    )

    def listed(headers):
        response = client.get("/v1/models/sent/feedback", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert listed(mine)["count"] == 2
    assert [row["label"] for row in listed(mine)["data"]] == ["negative", "positive"]
    assert listed(mine)["data"][1]["version"] == 1
    assert listed(other)["count"] == 0
    assert listed(admin)["count"] == 2
    with db.session() as session:
        counts = feedback_counts(session, "sent")
    assert counts["total"] == 2 and counts["per_label"] == {"negative": 1, "positive": 1}


def test_ner_feedback_takes_one_tag_per_word():
    rows = checked_rows(
        [{"text": "Mary visited Paris", "tags": ["B-PER", "O", "B-LOC"]}],
        task="token-classification",
        labels=["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    )
    assert rows[0]["tokens"] == ["Mary", "visited", "Paris"]
    with pytest.raises(ValueError, match="2 tags for 3 words"):
        checked_rows(
            [{"text": "Mary visited Paris", "tags": ["B-PER", "O"]}],
            task="token-classification",
            labels=["O", "B-PER"],
        )


def test_policy_queues_one_continue_job_after_n_feedback_rows(client, db, continued):
    admin, predict, train = key(db, "admin"), key(db, "predict"), key(db, "train")
    upload_model(client, admin, "sent", continued)
    policy = {"after_feedback": 3, "strategy": "replay", "margin": 0.05, "settings": {"epochs": 1}}
    problem(
        client.post("/v1/models/sent/retraining-policy", headers=predict, json=policy),
        403,
        "forbidden",
    )
    for bad in ({"epochs": "many"}, {"no_such_setting": 1}, {"strategy": "ewc"}):
        problem(
            client.post(
                "/v1/models/sent/retraining-policy", headers=train, json={**policy, "settings": bad}
            ),
            422,
            "invalid_config",
        )
    response = client.post("/v1/models/sent/retraining-policy", headers=train, json=policy)
    assert response.status_code == 200, response.text
    assert client.get("/v1/models/sent/retraining-policy", headers=predict).json()["margin"] == 0.05
    texts, labels = sentiment_texts(8, seed=5)
    items = [{"text": t, "label": lab} for t, lab in zip(texts, labels, strict=True)]

    def send(batch):
        response = client.post("/v1/models/sent/feedback", headers=predict, json={"items": batch})
        assert response.status_code == 201, response.text
        return response.json()["queued_job"]

    assert send(items[:2]) is None
    job_id = send(items[2:4])
    assert job_id is not None
    assert send(items[4:8]) is None  # the queued job is still queued
    (job,) = continue_jobs(db)
    assert job.id == job_id and job.status == "queued"
    assert job.config["feedback_after"] == 0 and job.config["feedback_until"] == 4
    assert job.config["strategy"] == "replay" and job.config["settings"] == {"epochs": 1}


def test_replay_policy_needs_a_continual_record(client, db, continued, tmp_path):
    import shutil

    plain = shutil.copytree(continued, tmp_path / "plain")
    shutil.rmtree(plain / "continual")  # as if fine-tuned before continual learning existed
    upload_model(client, key(db, "admin"), "plain", plain)
    body = problem(
        client.post(
            "/v1/models/plain/retraining-policy",
            headers=key(db, "train"),
            json={"after_feedback": 5, "strategy": "replay"},
        ),
        422,
        "invalid_config",
    )
    assert "continual record" in body["detail"]


def race(db, call) -> list:
    """Run ``call(session)`` in two threads at once, each with its own session."""
    barrier, results = threading.Barrier(2), []

    def run():
        with db.session() as session:
            barrier.wait()
            results.append(call(session))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_racing_triggers_queue_exactly_one_job(client, db, continued):
    upload_model(client, key(db, "admin"), "sent", continued)
    with db.session() as session:
        policies.set_policy(session, "sent", after_feedback=2, strategy="naive")
        rows = checked_rows(
            [{"text": "good", "label": "positive"}, {"text": "bad", "label": "negative"}],
            task="sequence-classification",
            labels=["negative", "positive"],
        )
        add_feedback(session, model_name="sent", version=1, rows=rows)
    for _ in range(3):  # a few rounds: each one is a fresh race
        queued = race(db, lambda session: policies.maybe_queue(session, "sent"))
        assert sum(job is not None for job in queued) == 1
        with db.session() as session:
            session.query(FineTuneJob).update({"status": "succeeded"})
            session.commit()
            add_feedback(session, model_name="sent", version=1, rows=rows)
    jobs = continue_jobs(db)
    assert len(jobs) == 3, [j.config for j in jobs]  # one per round: none lost, none doubled
    ranges = sorted((j.config["feedback_after"], j.config["feedback_until"]) for j in jobs)
    assert ranges == [(0, 2), (2, 4), (4, 6)]


def test_continue_job_trains_on_feedback_and_the_gate_decides(client, db, continued):
    from open_interpreter.services import jobs, registry
    from open_interpreter.services.job_queue import Lease, claim_job
    from open_interpreter.services.job_runner import run_job

    upload_model(client, key(db, "admin"), "sent", continued)
    texts, labels = sentiment_texts(12, seed=9)
    with db.session() as session:
        registry.promote(session, "sent", 1)  # the champion
        policies.set_policy(
            session,
            "sent",
            after_feedback=10,
            strategy="replay",
            margin=1.0,
            settings={"epochs": 1, "progress": False, "num_threads": 1},
        )
        rows = checked_rows(
            [{"text": t, "label": lab} for t, lab in zip(texts, labels, strict=True)],
            task="sequence-classification",
            labels=["negative", "positive"],
        )
        add_feedback(session, model_name="sent", version=1, rows=rows)
        job = policies.maybe_queue(session, "sent")
        assert job is not None
        job_id = job.id
        lease = Lease.of(claim_job(session, worker_id="w1"))
    assert run_job(db, lease) == "succeeded"  # the worker's own path, through the kind
    with db.session() as session:
        result = jobs.get_job(session, job_id).result
        assert policies.maybe_queue(session, "sent") is None  # no new feedback since
    assert result["from_version"] == 1 and result["version"] == 2
    assert result["examples"] == 12
    assert result["report"]["tasks"][-1] == "feedback-1-12"
    assert result["gate"]["reasons"][0] == "champion: version 1"
    assert result["promoted"] == result["gate"]["promoted"]


def test_oi_models_feedback_shows_counts_and_policy(continued):
    from click.testing import CliRunner

    from open_interpreter.cli import main
    from open_interpreter.services import registry
    from open_interpreter.storage import Database

    database = Database()
    with database.session() as session:
        registry.register_directory(session, model_name="sent", path=continued)
        policies.set_policy(session, "sent", after_feedback=50, strategy="l2sp")
        rows = checked_rows(
            [{"text": "good", "label": "positive"}] * 2 + [{"text": "bad", "label": "negative"}],
            task="sequence-classification",
            labels=["negative", "positive"],
        )
        add_feedback(session, model_name="sent", version=1, rows=rows)
    database.dispose()
    result = CliRunner().invoke(main, ["models", "feedback", "sent"])
    assert result.exit_code == 0, result.output
    assert "3 feedback rows, 3 not yet trained on" in result.output
    assert "positive: 2" in result.output and "policy: l2sp" in result.output
    missing = CliRunner().invoke(main, ["models", "feedback", "nope"])
    assert missing.exit_code != 0 and "nope" in missing.output
