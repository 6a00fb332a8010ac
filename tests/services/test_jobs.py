"""The job service on both databases: create, list, cancel, events, odd ids."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import job_queue, jobs
from open_interpreter.services.job_queue import Lease

from .records import claim, make_job, upload


def test_create_job_validates_name_config_and_datasets(db):
    train = upload(db)
    job = make_job(db, {"epochs": 1, "learning_rate": 1e-3}, train_dataset_id=train)
    assert job.status == "queued" and job.id.startswith("ft_")
    assert job.config["epochs"] == 1 and job.config["batch_size"] == 16  # full config stored
    with db.session() as session:
        with pytest.raises(ConfigError, match="invalid model name"):
            jobs.create_job(session, model_name="-bad", config={}, train_dataset_id=train)
        with pytest.raises(ConfigError, match="unknown setting 'epoch'"):
            jobs.create_job(session, model_name="ner", config={"epoch": 1}, train_dataset_id=train)
        with pytest.raises(ConfigError, match=r"output_dir, data\.train cannot be set"):
            jobs.create_job(
                session,
                model_name="ner",
                train_dataset_id=train,
                config={"output_dir": "/etc", "data": {"train": "/etc/passwd"}},
            )
        with pytest.raises(NotFoundError, match="validation_dataset_id: no dataset"):
            jobs.create_job(
                session,
                model_name="ner",
                config={},
                train_dataset_id=train,
                validation_dataset_id="ds_missing",
            )
        rows, total = jobs.list_jobs(session)
        assert total == 1 and [r.id for r in rows] == [job.id]
        events = jobs.job_events(session, job.id)
        assert [(e.type, e.data) for e in events] == [("status", {"status": "queued"})]


def test_list_jobs_filters_pages_and_checks_status(db):
    ids = [make_job(db).id for _ in range(3)]
    claim(db)
    with db.session() as session:
        rows, total = jobs.list_jobs(session, limit=2)
        assert total == 3 and [r.id for r in rows] == ids[::-1][:2]
        rows, total = jobs.list_jobs(session, status="queued")
        assert total == 2 and {r.id for r in rows} == set(ids[1:])
        with pytest.raises(ConfigError, match="unknown job status"):
            jobs.list_jobs(session, status="done")
        with pytest.raises(NotFoundError):
            jobs.get_job(session, "ft_missing")
        with pytest.raises(NotFoundError):
            jobs.job_events(session, "ft_missing")


def test_cancel_queued_running_and_finished_jobs(db):
    queued, running = make_job(db), make_job(db)
    with db.session() as session:
        assert jobs.cancel_job(session, queued.id).status == "cancelled"
    lease = Lease.of(claim(db))
    assert lease.job_id == running.id
    with db.session() as session:
        job = jobs.cancel_job(session, running.id)
        assert (job.status, job.cancel_requested) == ("running", True)
        assert jobs.cancel_job(session, running.id).cancel_requested  # twice is fine
        assert job_queue.heartbeat(session, lease).cancel_requested
        assert job_queue.finish_job(session, lease, status="cancelled")
        for job_id in (queued.id, running.id):
            with pytest.raises(ConflictError, match="already finished"):
                jobs.cancel_job(session, job_id)
        with pytest.raises(NotFoundError):
            jobs.cancel_job(session, "ft_missing")


def test_events_page_after_an_id(db):
    job_id = make_job(db).id
    with db.session() as session:
        for step in range(5):
            jobs.add_event(session, job_id, "step", {"step": step})
        first = jobs.job_events(session, job_id, limit=3)
        rest = jobs.job_events(session, job_id, after_id=first[-1].id)
    assert [e.data.get("step") for e in first] == [None, 0, 1]
    assert [e.data["step"] for e in rest] == [2, 3, 4]


def test_odd_ids_and_numbers_are_not_found_rather_than_errors(db):
    job_id = make_job(db).id
    with db.session() as session:
        for odd in ("ft\x00nul", "x" * 500, "ft_1;--"):
            with pytest.raises(NotFoundError):
                jobs.get_job(session, odd)
            with pytest.raises(NotFoundError):
                jobs.create_job(session, model_name="ner", config={}, train_dataset_id=odd)
        assert jobs.job_events(session, job_id, after_id=2**64, limit=2**70) == []
        assert jobs.list_jobs(session, limit=2**70, offset=2**70) == ([], 1)
