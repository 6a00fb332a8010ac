"""Workers end to end on the tiny BERT, on both databases: a job runs to a registered
version; cancel stops it mid-run; a crashed child fails only its job; a worker killed
mid-job is replaced by one that resumes from the checkpoint and finishes exactly once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from open_interpreter.errors import ConfigError
from open_interpreter.services import jobs, registry
from open_interpreter.services.worker import Worker, start_embedded_workers
from open_interpreter.storage import Database, artifacts

from ..fixtures.waiting import wait_for
from .records import make_job, status_of, upload

FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}


def tiny_config(model: str, **changes: Any) -> dict[str, Any]:
    return {
        "model": model,
        "learning_rate": 5e-3,
        "batch_size": 2,
        "warmup_ratio": 0.0,
        "num_threads": 1,
        **changes,
    }


@contextmanager
def worker_thread(db: Database, **options: Any) -> Iterator[Worker]:
    handle = start_embedded_workers(db.url, 1, **{**FAST, **options})
    try:
        yield handle.workers[0]
    finally:
        handle.stop(timeout=30)


def job_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("oi-job")]


def events(db: Database, job_id: str) -> list[Any]:
    with db.session() as session:
        return jobs.job_events(session, job_id)


def test_a_job_runs_to_a_registered_version_with_lineage(db, tiny_bert_name):
    validation, test = upload(db, 8, seed=1), upload(db, 8, seed=2)
    job = make_job(
        db,
        tiny_config(tiny_bert_name, epochs=2),
        validation_dataset_id=validation,
        test_dataset_id=test,
    )
    worker = Worker(db.url, worker_id="solo", migrate=False, **FAST)
    assert worker.run_once() is True
    done = status_of(db, job.id)
    assert done.status == "succeeded", done.error
    assert done.progress["step"] == done.progress["total_steps"] == 12
    kinds = [e.type for e in events(db, job.id)]
    assert kinds[:2] == ["status", "status"] and kinds[-1] == "status"
    assert "step" in kinds and kinds.count("evaluation") == 2
    with db.session() as session:
        version = registry.get_version(session, "ner")
        assert version.id == done.model_version_id and version.job_id == job.id
        lineage = version.lineage
        assert lineage["datasets"]["validation"]["id"] == validation
        assert len(lineage["datasets"]["train"]["sha256"]) == 64
        assert lineage["base_model"] == tiny_bert_name
        assert lineage["config"]["epochs"] == 2 and "torch" in lineage["library_versions"]
        assert [e["epoch"] for e in lineage["evaluations"]] == [1, 2]
        assert set(version.metrics["test"]) >= {"accuracy", "entity_f1"}
    assert (artifacts.resolve(version.path) / "oi_model.json").is_file()
    assert worker.run_once() is False  # nothing left


def test_a_failing_job_fails_alone_and_the_worker_goes_on(db, tiny_bert_name):
    broken = make_job(db, tiny_config("tiny-bert-missing", max_steps=2))
    good = make_job(db, tiny_config(tiny_bert_name, max_steps=2))
    worker = Worker(db.url, migrate=False, **FAST)
    assert worker.run_once() and worker.run_once()
    failed = status_of(db, broken.id)
    assert failed.status == "failed" and "could not find model" in failed.error
    assert status_of(db, good.id).status == "succeeded"


def test_cancel_stops_a_running_job_within_seconds(db, tiny_bert_name):
    job = make_job(db, tiny_config(tiny_bert_name, max_steps=20000))
    with worker_thread(db):
        wait_for(lambda: status_of(db, job.id).progress.get("step"), 30, "training to start")
        asked = time.monotonic()
        with db.session() as session:
            jobs.cancel_job(session, job.id)
        wait_for(lambda: status_of(db, job.id).status == "cancelled", 10, "the cancel")
        assert time.monotonic() - asked < 5
        assert not job_children()
    with db.session() as session:
        assert registry.list_models(session) == []


def test_a_killed_child_fails_its_job_and_the_worker_survives(db, tiny_bert_name):
    doomed = make_job(db, tiny_config(tiny_bert_name, max_steps=20000))
    with worker_thread(db):
        wait_for(lambda: status_of(db, doomed.id).progress.get("step"), 30, "training to start")
        (child,) = job_children()
        os.kill(child.pid, signal.SIGKILL)  # what the kernel's OOM killer does
        failed = wait_for(lambda: status_of(db, doomed.id).error, 10, "the job to fail")
        assert "killed by SIGKILL" in failed and status_of(db, doomed.id).status == "failed"
        after = make_job(db, tiny_config(tiny_bert_name, max_steps=2))
        wait_for(lambda: status_of(db, after.id).status == "succeeded", 30, "the next job")


def _start_worker_process(db: Database, *args: str) -> subprocess.Popen:
    command = "import sys; from open_interpreter.cli import main; main(sys.argv[1:])"
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            command,
            "worker",
            "--database-url",
            db.url,
            "--poll-interval",
            "0.1",
            *args,
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(sys.platform != "linux", reason="reads child pids from /proc")
def test_a_worker_killed_mid_job_is_resumed_from_its_checkpoint_exactly_once(db, tiny_bert_name):
    job = make_job(db, tiny_config(tiny_bert_name, max_steps=600, checkpoint_every=20))
    checkpoints = artifacts.resolve(f"jobs/{job.id}/run/checkpoints")
    first = _start_worker_process(db, "--id", "doomed")
    try:
        # A new interpreter, its fork server's imports and 20 steps: 30 s was too little
        # on a loaded 2-core machine; waiting longer costs nothing when it is quick.
        wait_for(
            lambda: checkpoints.is_dir() and any(checkpoints.glob("step-*")), 120, "a checkpoint"
        )
        orphans = _children(first.pid)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert status_of(db, job.id).status == "running"  # nobody has noticed yet
    wait_for(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in orphans),
        10,
        "the killed worker's child to end with it",
    )
    second = _start_worker_process(db, "--id", "heir", "--stale-after", "1")
    try:
        wait_for(lambda: status_of(db, job.id).status in jobs.FINISHED, 40, "the resumed job")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, second.stderr.read().decode()
    done = status_of(db, job.id)
    assert (done.status, done.worker_id, done.attempts) == ("succeeded", "heir", 2), done.error
    logs = [e.data for e in events(db, job.id) if e.type == "log"]
    resumed = [log["resumed_from_step"] for log in logs if "resumed_from_step" in log]
    assert len(resumed) == 1 and 0 < resumed[0] < 600
    statuses = [e.data["status"] for e in events(db, job.id) if e.type == "status"]
    assert statuses == ["queued", "running", "queued", "running", "succeeded"]
    with db.session() as session:
        versions = registry.list_versions(session, "ner")
    assert [(v.version, v.job_id) for v in versions] == [(1, job.id)]
    assert versions[0].lineage["attempts"] == 2


def test_stopping_a_worker_mid_job_puts_the_job_back_without_using_an_attempt(db, tiny_bert_name):
    job = make_job(db, tiny_config(tiny_bert_name, max_steps=20000))
    with worker_thread(db):
        wait_for(lambda: status_of(db, job.id).progress.get("step"), 30, "training to start")
    assert not job_children()
    back = status_of(db, job.id)
    assert (back.status, back.attempts, back.worker_id) == ("queued", 0, None)
    statuses = [e.data for e in events(db, job.id) if e.type == "status"]
    assert statuses[-1]["status"] == "queued" and "stopped" in statuses[-1]["reason"]


def test_oi_worker_once_with_nothing_queued(db):
    from click.testing import CliRunner

    from open_interpreter.cli import main

    result = CliRunner().invoke(main, ["worker", "--once", "--database-url", db.url])
    assert result.exit_code == 0, result.output
    assert "no job was queued" in result.output


def test_a_heartbeat_slower_than_the_stale_limit_is_refused():
    with pytest.raises(ConfigError, match="must be shorter than stale_after"):
        Worker("sqlite://", heartbeat_interval=5, stale_after=5)
    assert Worker("sqlite://", stale_after=1.5).heartbeat_interval == 0.5


class _ExitingChild:
    """A child process that has recorded its result and exits within a grace period (but
    not within one tick of the worker's watch)."""

    def __init__(self, grace_period: float) -> None:
        self.alive = True
        self.grace_period = grace_period
        self.waits: list[float] = []

    def join(self, timeout: float | None = None) -> None:
        self.waits.append(timeout or 0.0)
        time.sleep(0.1)
        self.alive = (timeout or 0.0) < self.grace_period

    def is_alive(self) -> bool:
        return self.alive


def test_a_job_that_ends_between_heartbeats_is_not_called_lost(db, caplog):
    """The child records success, so the next heartbeat finds no lease; the worker waits
    for the child to exit instead of reporting the job lost and terminating it."""
    from open_interpreter.services.job_queue import Lease, finish_job

    from .records import claim

    make_job(db)
    lease = Lease.of(claim(db))
    with db.session() as session:
        finish_job(session, lease, status="succeeded")
    worker = Worker(db.url, migrate=False, poll_interval=0.1, heartbeat_interval=0.2)
    child = _ExitingChild(worker.grace_period)
    assert worker._watch(child, lease, None) == "exited"
    assert child.waits[-1] == worker.grace_period
    with caplog.at_level("INFO", logger="open_interpreter.services.worker"):
        worker._settle(lease, "exited", 0)
    assert status_of(db, lease.job_id).status == "succeeded"
    assert caplog.messages[-1].endswith(f"job {lease.job_id} exited (succeeded)")


def test_a_job_whose_process_outlives_the_grace_period_after_its_result_is_not_lost(db):
    """Under load the child may record success and still be exiting after the grace
    period: the job finished, it is not lost, and the job keeps its result."""
    from open_interpreter.services.job_queue import Lease, finish_job

    from .records import claim

    make_job(db)
    lease = Lease.of(claim(db))
    with db.session() as session:
        finish_job(session, lease, status="succeeded")
    worker = Worker(db.url, migrate=False, poll_interval=0.1, heartbeat_interval=0.2)
    child = _ExitingChild(grace_period=float("inf"))  # never exits on its own
    assert worker._watch(child, lease, None) == "slow exit"
    worker._settle(lease, "slow exit", None)
    assert status_of(db, lease.job_id).status == "succeeded"


class _SlowStartingChild:
    """A job process whose start takes longer than the stale limit (a fork server importing
    the training stack on a busy CPU), then exits at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.pid, self.exitcode = seconds, None, None

    def start(self) -> None:
        time.sleep(self.seconds)
        self.pid, self.exitcode = 1, 0

    def join(self, timeout: float | None = None) -> None:
        return None

    def is_alive(self) -> bool:
        return False


def test_a_job_is_heartbeaten_while_its_process_starts(db):
    """A start slower than the stale limit does not let another worker requeue the job."""
    from open_interpreter.services import job_queue
    from open_interpreter.services.job_queue import Lease

    from .records import claim

    make_job(db)
    lease = Lease.of(claim(db))
    worker = Worker(db.url, migrate=False, stale_after=1.0, heartbeat_interval=0.2)
    worker._start_beating(_SlowStartingChild(2.0), lease)
    with db.session() as session:
        assert job_queue.requeue_stale_jobs(session, stale_after_s=1.0) == []
    assert status_of(db, lease.job_id).status == "running"
