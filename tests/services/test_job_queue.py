"""The lease protocol on both databases: claim, heartbeat, fences on a lost lease, requeue."""

from __future__ import annotations

import threading
from datetime import timedelta

from open_interpreter.services import job_queue, jobs
from open_interpreter.services.job_queue import Lease
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob, utcnow

from .records import claim, make_job, status_of, upload


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
