"""The workers table on both databases: a worker registers with its capacity, names the
job it runs, marks itself stopped; one not seen for its lease timeout reads as lost; the
Python fit test agrees with the SQL claim; migration 0015 creates the table as declared."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from open_interpreter.errors import ConfigError
from open_interpreter.services import job_queue, jobs, workers
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.worker import Worker
from open_interpreter.services.worker_tables import WorkerRecord
from open_interpreter.storage.tables import FineTuneJob, utcnow

from ..fixtures.waiting import wait_for
from .records import make_job

FAST = {"poll_interval": 0.05, "heartbeat_interval": 0.2, "stale_after": 1.0, "migrate": False}


def listed(db, **options):
    with db.session() as session:
        return {view.id: view for view in workers.list_workers(session, **options)[0]}


def test_migration_0015_creates_the_workers_table_as_declared(tmp_path):
    from ..fixtures.migrations import assert_migration_creates

    assert_migration_creates(tmp_path, "0015", "0014", {"workers"})


def test_a_worker_registers_runs_and_stops_in_its_row(db):
    worker = Worker(db.url, worker_id="gpu-1", capacity=Capacity(2, 1, 4096), **FAST)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        idle = wait_for(lambda: listed(db).get("gpu-1"), 10, "the worker's row")
        assert idle.state == "idle" and idle.job_id is None
        assert idle.capacity == {"processes": 2, "gpus": 1, "memory_mb": 4096}
        assert idle.pid > 0 and idle.host and idle.lease_timeout_s == 1.0
        first = idle.last_seen
        wait_for(lambda: listed(db)["gpu-1"].last_seen > first, 5, "a fresher last_seen")
    finally:
        stop.set()
        thread.join(10)
    stopped = listed(db)["gpu-1"]
    assert stopped.state == "stopped" and stopped.stopped_at is not None
    assert listed(db, state="stopped").keys() == {"gpu-1"}


def test_the_row_names_the_job_the_worker_runs(db, monkeypatch):
    job = make_job(db)
    worker = Worker(db.url, worker_id="w-run", **FAST)
    seen = []
    monkeypatch.setattr(worker, "_supervise", lambda lease, stop: seen.append(listed(db)))
    assert worker.run_once() is True
    during = seen[0]["w-run"]
    assert (during.state, during.job_id) == ("running", job.id)
    after = listed(db)["w-run"]
    assert (after.state, after.job_id) == ("idle", None)
    worker.close()
    assert listed(db)["w-run"].state == "stopped"


def test_a_worker_not_seen_for_its_lease_timeout_reads_as_lost(db):
    with db.session() as session:
        for name in ("fresh", "silent", "gone"):
            workers.register_worker(
                session, worker_id=name, capacity=Capacity(), lease_timeout_s=15
            )
        workers.stop_worker(session, "gone")
        for name in ("silent", "gone"):  # 16 s ago: past the 15 s lease
            session.execute(
                update(WorkerRecord)
                .where(WorkerRecord.id == name)
                .values(last_seen=utcnow() - timedelta(seconds=16))
            )
        session.commit()
        views, total = workers.list_workers(session)
        assert [(v.id, v.state) for v in views] == [
            ("fresh", "idle"),
            ("silent", "lost"),
            ("gone", "stopped"),
        ]
        assert total == 3
        assert [v.id for v in workers.list_workers(session, state="lost")[0]] == ["silent"]
        assert workers.list_workers(session, limit=1, offset=1)[0][0].id == "silent"
        with pytest.raises(ConfigError, match="unknown worker state 'dead'"):
            workers.list_workers(session, state="dead")


def test_rows_not_seen_for_a_week_are_forgotten_when_a_worker_registers(db):
    with db.session() as session:
        workers.register_worker(session, worker_id="old", capacity=Capacity(), lease_timeout_s=15)
        session.execute(
            update(WorkerRecord).values(last_seen=utcnow() - workers.FORGET_AFTER - timedelta(1))
        )
        session.commit()
        workers.register_worker(session, worker_id="new", capacity=Capacity(), lease_timeout_s=15)
        assert [v.id for v in workers.list_workers(session)[0]] == ["new"]


CAPACITIES = [Capacity(), Capacity(2, 0, 0), Capacity(4, 2, 8192), Capacity(1, 0, 2048)]
NEEDS = [(1, 0, 0), (2, 0, 0), (1, 1, 0), (1, 0, 1024), (4, 2, 8192), (4, 2, 9216)]


def test_the_python_fit_test_agrees_with_the_sql_claim(db):
    for processes, gpus, memory_mb in NEEDS:
        job = make_job(db)
        needs = {"needs_processes": processes, "needs_gpus": gpus, "needs_memory_mb": memory_mb}
        with db.session() as session:
            session.execute(update(FineTuneJob).where(FineTuneJob.id == job.id).values(**needs))
            session.commit()
            for capacity in CAPACITIES:
                claimed = job_queue.claim_job(session, worker_id="probe", capacity=capacity)
                assert (claimed is not None) == workers.fits(capacity.to_dict(), needs), (
                    needs,
                    capacity,
                )
                if claimed is not None:
                    session.execute(
                        update(FineTuneJob)
                        .where(FineTuneJob.id == job.id)
                        .values(status="queued", worker_id=None)
                    )
                    session.commit()
            jobs.cancel_job(session, job.id)


def test_a_job_no_live_worker_fits_gets_a_warning_naming_the_largest(db):
    need = {"needs_processes": 4, "needs_gpus": 0, "needs_memory_mb": 0}
    with db.session() as session:
        assert "no worker is running now" in workers.unfit_warning(session, need)
        workers.register_worker(
            session, worker_id="small", capacity=Capacity(2, 0, 8192), lease_timeout_s=15
        )
        warning = workers.unfit_warning(session, need)
        assert "4 processes, 0 GPUs, no stated memory" in warning
        assert "the largest has 2 processes, 0 GPUs, 8 GB memory" in warning
        assert workers.unfit_warning(session, {**need, "needs_processes": 2}) is None
        workers.stop_worker(session, "small")  # a stopped worker runs nothing
        assert workers.unfit_warning(session, {**need, "needs_processes": 2}) is not None
