"""The job runner in-process on both databases: event throttling, fences, failures, and
registering a model whose training finished in an earlier attempt."""

from __future__ import annotations

import pytest

from open_interpreter.errors import DataError
from open_interpreter.services import job_queue, job_runner, jobs, registry
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import EventRecorder, LeaseLost, run_job
from open_interpreter.storage import Database, artifacts

from .records import claim, fake_saved_model, make_job, status_of


def claimed(db: Database) -> Lease:
    make_job(db)
    return Lease.of(claim(db))


def test_step_events_are_throttled_but_evaluations_and_the_last_step_kept(db):
    lease = claimed(db)
    record = EventRecorder(db, lease, interval_s=3600)
    for step in range(1, 6):
        record({"type": "step", "step": step, "loss": 1.0 / step, "total_steps": 5, "epoch": 1})
        if step == 3:
            record({"type": "evaluation", "epoch": 1, "step": 3, "metrics": {"f1": float("nan")}})
    with db.session() as session:
        recorded = [(e.type, e.data.get("step")) for e in jobs.job_events(session, lease.job_id)]
    assert recorded[2:] == [("step", 1), ("evaluation", 3), ("step", 5)]
    with db.session() as session:
        last = jobs.job_events(session, lease.job_id)[-1].data
    assert last["step"] == last["total_steps"] == 5  # as docs/api.md shows a step event
    progress = status_of(db, lease.job_id).progress
    assert progress["step"] == progress["total_steps"] == 5 and progress["eta_seconds"] == 0
    with db.session() as session:
        assert jobs.job_events(session, lease.job_id)[3].data["metrics"] == {"f1": None}


def test_a_recorder_whose_lease_is_gone_stops_the_run(db):
    lease = claimed(db)
    with db.session() as session:
        jobs.cancel_job(session, lease.job_id)
        job_queue.finish_job(session, lease, status="cancelled")
    with pytest.raises(LeaseLost):
        EventRecorder(db, lease)({"type": "step", "step": 1, "total_steps": 9})
    assert run_job(db, lease) == "lost"


def test_library_errors_fail_the_job_with_their_message(db, monkeypatch):
    lease = claimed(db)

    def bad_data(*_args):
        raise DataError("no labels", source="train.conll", line=3)

    monkeypatch.setattr(job_runner, "_fine_tune", bad_data)
    assert run_job(db, lease) == "failed"
    assert status_of(db, lease.job_id).error == "train.conll:3: no labels"


def test_unexpected_errors_fail_with_one_line_and_log_the_traceback(db, monkeypatch):
    lease = claimed(db)

    def boom(*_args):
        raise RuntimeError("CUDA went away\nmore detail")

    monkeypatch.setattr(job_runner, "_fine_tune", boom)
    assert run_job(db, lease) == "failed"
    assert status_of(db, lease.job_id).error == "RuntimeError: CUDA went away"
    with db.session() as session:
        logs = [e.data for e in jobs.job_events(session, lease.job_id) if e.type == "log"]
    assert "Traceback" in logs[-1]["traceback"] and "boom" in logs[-1]["traceback"]


def test_a_model_trained_in_an_earlier_attempt_is_registered_without_training(
    db, tmp_path, monkeypatch
):
    lease = claimed(db)
    run_dir = artifacts.resolve(f"jobs/{lease.job_id}/run")
    run_dir.parent.mkdir(parents=True)
    fake_saved_model(run_dir)
    monkeypatch.setattr(job_runner, "_fine_tune", pytest.fail)
    assert run_job(db, lease) == "succeeded"
    job = status_of(db, lease.job_id)
    with db.session() as session:
        version = registry.get_version(session, "ner")
        messages = [e.data.get("message") for e in jobs.job_events(session, lease.job_id)]
    assert job.model_version_id == version.id and version.lineage["job_id"] == job.id
    assert version.lineage["datasets"]["train"]["id"] == job.train_dataset_id
    assert any("finished in an earlier attempt" in (m or "") for m in messages)
