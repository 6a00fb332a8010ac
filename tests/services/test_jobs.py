"""Job service and queue operations on both databases: create, cancel, claim, requeue, fences."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import job_queue, jobs
from open_interpreter.services.datasets import store_upload
from open_interpreter.services.job_queue import Lease
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob, utcnow

from .api_helpers import conll_bytes


def upload(db: Database, n: int = 12, seed: int = 0) -> str:
    """Store a tiny CoNLL dataset; returns its id."""
    with db.session() as session:
        row = store_upload(
            session,
            name="tiny",
            filename="tiny.conll",
            data=conll_bytes(n, seed),
            declared_format=None,
        )
        return row.id


def make_job(db: Database, config: dict[str, Any] | None = None, **datasets: str) -> FineTuneJob:
    """Queue a job on a fresh tiny dataset (or the given ones)."""
    datasets.setdefault("train_dataset_id", upload(db))
    with db.session() as session:
        return jobs.create_job(session, model_name="ner", config=config or {}, **datasets)


def claim(db: Database, worker_id: str = "w1") -> FineTuneJob | None:
    with db.session() as session:
        return job_queue.claim_job(session, worker_id=worker_id)


def status_of(db: Database, job_id: str) -> FineTuneJob:
    with db.session() as session:
        return jobs.get_job(session, job_id)


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


def test_claim_takes_the_oldest_and_sets_the_lease(db):
    first, second = make_job(db), make_job(db)
    job = claim(db, "w1")
    assert job.id == first.id
    assert (job.status, job.worker_id, job.attempts) == ("running", "w1", 1)
    assert job.started_at is not None and job.heartbeat_at is not None
    assert claim(db, "w2").id == second.id
    assert claim(db, "w3") is None


def test_claim_is_exclusive_under_concurrency(db):
    created = {make_job(db, train_dataset_id=upload(db)).id for _ in range(6)}
    dataset = upload(db)
    created |= {make_job(db, train_dataset_id=dataset).id for _ in range(6)}
    claimed: list[tuple[str, str]] = []
    barrier = threading.Barrier(8)

    def worker(name: str) -> None:
        barrier.wait()
        while (job := claim(db, name)) is not None:
            claimed.append((job.id, name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [job_id for job_id, _ in claimed]
    assert sorted(ids) == sorted(created)  # every job claimed exactly once
    with db.session() as session:
        rows, _ = jobs.list_jobs(session, limit=100)
        owners = dict(claimed)
        assert all(r.status == "running" and r.attempts == 1 for r in rows)
        assert all(r.worker_id == owners[r.id] for r in rows)


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


def test_writes_under_a_lost_lease_change_nothing(db):
    job_id = make_job(db).id
    lease = Lease.of(claim(db, "w1"))
    stale = Lease(job_id, "w1", lease.attempt - 1)
    other = Lease(job_id, "w2", lease.attempt)
    with db.session() as session:
        for wrong in (stale, other):
            assert job_queue.heartbeat(session, wrong) is None
            assert not job_queue.record_event(session, wrong, "log", {"message": "x"})
            assert not job_queue.finish_job(session, wrong, status="succeeded")
            assert not job_queue.release_job(session, wrong, reason="x")
        assert job_queue.record_event(session, lease, "step", {"step": 1}, progress={"step": 1})
        assert jobs.get_job(session, job_id).progress == {"step": 1}
        assert job_queue.release_job(session, lease, reason="worker stopped")
        job = jobs.get_job(session, job_id)
        assert (job.status, job.attempts, job.worker_id) == ("queued", 0, None)
        assert not job_queue.finish_job(session, lease, status="failed")


def _age_heartbeat(db: Database, job_id: str, seconds: float) -> None:
    with db.session() as session:
        session.get(FineTuneJob, job_id).heartbeat_at = utcnow() - timedelta(seconds=seconds)
        session.commit()


def test_stale_jobs_are_requeued_then_failed_after_three_attempts(db):
    job_id = make_job(db).id
    for attempt in (1, 2, 3):
        lease = Lease.of(claim(db, f"w{attempt}"))
        assert lease.attempt == attempt
        with db.session() as session:
            assert job_queue.requeue_stale_jobs(session, stale_after_s=30) == []  # still fresh
        _age_heartbeat(db, job_id, 60)
        with db.session() as session:
            requeued = job_queue.requeue_stale_jobs(session, stale_after_s=30)
            assert job_queue.heartbeat(session, lease) is None  # the old worker lost the job
        assert requeued == ([job_id] if attempt < 3 else [])
    job = status_of(db, job_id)
    assert job.status == "failed" and "tried 3 times" in job.error
    assert job.finished_at is not None
    with db.session() as session:
        reasons = [e.data for e in jobs.job_events(session, job_id) if e.type == "status"]
    assert [r["status"] for r in reasons].count("queued") == 3  # created + two requeues
    assert "stopped responding" in reasons[-1]["reason"]


def test_a_stale_job_whose_cancel_was_requested_is_cancelled(db):
    job_id = make_job(db).id
    claim(db)
    with db.session() as session:
        jobs.cancel_job(session, job_id)
    _age_heartbeat(db, job_id, 60)
    with db.session() as session:
        assert job_queue.requeue_stale_jobs(session, stale_after_s=30) == []
    assert status_of(db, job_id).status == "cancelled"


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
