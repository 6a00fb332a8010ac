"""Workers SIGKILLed while they work through a queue on PostgreSQL, and what must hold
afterwards: every job ends exactly once (none lost, none run to the end twice) and the
registry holds exactly one version per succeeded job.

Shared by ``tests/faults/test_worker_chaos.py`` (4 jobs, 3 kills, in CI) and
``benchmarks/bench_chaos.py`` (30 jobs, a kill every 10 s); nothing here imports the tests.
A killed worker is started again in its slot under a new name, as a supervisor (systemd's
``Restart=``, a container runtime) would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from open_interpreter.errors import NotFoundError
from open_interpreter.services import jobs, registry
from open_interpreter.services.job_queue import MAX_ATTEMPTS
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob, JobEvent, utcnow

MODEL_NAME = "ner"
"""The registered model every chaos job trains."""
JOB = {
    "learning_rate": 5e-3,
    "batch_size": 2,
    "warmup_ratio": 0.0,
    "num_threads": 1,
    "max_steps": 12,
    "checkpoint_every": 4,
}
"""A job's settings: 12 examples in batches of 2 are 6 steps an epoch, 12 steps in all, a
checkpoint every 4 (so a killed run resumes part of the way through)."""
STALE_AFTER_S = 4.0
"""The workers' lease timeout: a killed worker's job is requeued this long after its last
heartbeat."""


STALE = re.compile(r"worker (\S+) stopped responding")
"""The reason of a status event of a run whose worker's heartbeat went stale
(``job_queue.requeue_stale_jobs``)."""


class Killable(Protocol):
    """A started worker: anything that can be SIGKILLed with what it started."""

    def kill(self) -> None:
        """SIGKILL it and every process it started, and wait until they are gone."""


def worker_args(database_url: str, name: str) -> list[str]:
    """The ``oi`` arguments of chaos worker ``name``."""
    return [
        "worker",
        "--database-url",
        database_url,
        "--id",
        name,
        "--poll-interval",
        "0.2",
        "--stale-after",
        str(STALE_AFTER_S),
    ]


@dataclass
class WorkerProcess:
    """``oi worker`` in a process group of its own (it and its job's process die together,
    as on a machine that loses power); its output goes to ``log``."""

    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, database_url: str, name: str, log_dir: Path) -> WorkerProcess:
        """Start chaos worker ``name``."""
        log = log_dir / f"{name}.log"
        command = [sys.executable, "-m", "open_interpreter.cli", *worker_args(database_url, name)]
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command,
                env=dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(process, log)

    def kill(self) -> None:
        """SIGKILL the worker's process group; wait until no process of it is left."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while group_alive(self.process.pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"process group {self.process.pid} outlived SIGKILL")
            time.sleep(0.05)


@dataclass
class WorkerPool:
    """``size`` workers in slots ``w0`` .. ``w{size-1}``; worker ``wS-L`` is slot S's L-th
    life. ``launch(name)`` starts one."""

    launch: Callable[[str], Killable]
    size: int
    workers: dict[str, Killable] = field(default_factory=dict)
    kills: int = 0
    lives: Counter = field(default_factory=Counter)
    killed_at: dict[str, datetime] = field(default_factory=dict)
    """When each killed worker was killed (UTC, as the database stores times)."""

    def start(self) -> WorkerPool:
        """Start a worker in every slot."""
        for slot in range(self.size):
            self._start(slot)
        return self

    def busy(self, db: Database, job_ids: list[str]) -> list[str]:
        """The live workers running one of ``job_ids`` now."""
        with db.session() as session:
            rows = session.query(FineTuneJob.worker_id).filter(
                FineTuneJob.id.in_(job_ids), FineTuneJob.status == "running"
            )
            return sorted(worker for (worker,) in rows if worker in self.workers)

    def kill_and_restart(self, victim: str) -> None:
        """SIGKILL ``victim`` (with its job's process), then start its slot again."""
        self.killed_at[victim] = utcnow()
        self.workers.pop(victim).kill()
        self.kills += 1
        self._start(int(victim[1 : victim.index("-")]))

    def stop(self) -> None:
        """Kill every worker still running (the run is over)."""
        for worker in self.workers.values():
            worker.kill()
        self.workers.clear()

    def _start(self, slot: int) -> None:
        name = f"w{slot}-{self.lives[slot]}"
        self.lives[slot] += 1
        self.workers[name] = self.launch(name)


def queue_jobs(db: Database, dataset_id: str, model: str, count: int) -> list[str]:
    """Queue ``count`` chaos jobs of ``model`` on ``dataset_id``; their ids, oldest first."""
    config = {**JOB, "model": model}
    with db.session() as session:
        return [
            jobs.create_job(
                session, model_name=MODEL_NAME, config=config, train_dataset_id=dataset_id
            ).id
            for _ in range(count)
        ]


def all_ended(db: Database, job_ids: list[str]) -> bool:
    """Whether every one of ``job_ids`` has a final status."""
    with db.session() as session:
        open_jobs = session.query(FineTuneJob).filter(
            FineTuneJob.id.in_(job_ids), FineTuneJob.status.not_in(jobs.FINISHED)
        )
        return open_jobs.count() == 0


def run_chaos(
    db: Database,
    pool: WorkerPool,
    job_ids: list[str],
    *,
    choose_victim: Callable[[list[str]], str | None],
    timeout_s: float,
) -> None:
    """Kill a worker whenever ``choose_victim(busy workers)`` names one, until every job
    ended (or ``timeout_s`` passed: what is left counts as lost). ``choose_victim`` may
    sleep, and answers None to kill nobody this time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not all_ended(db, job_ids):
        victim = choose_victim(pool.busy(db, job_ids))
        if victim is not None and victim in pool.workers and not all_ended(db, job_ids):
            pool.kill_and_restart(victim)
        time.sleep(0.2)


@dataclass
class ChaosOutcome:
    """How every job of a chaos run ended, and what the registry holds."""

    jobs: int
    succeeded: list[str]
    gave_up: list[str]
    """Failed after :data:`MAX_ATTEMPTS` runs cut short by kills ("giving up"): an end."""
    failed: dict[str, str]
    """Any other failure: job id → error."""
    cancelled: list[str]
    lost: list[str]
    """Not ended when the run stopped."""
    duplicates: list[str]
    """Jobs that ended more than once (final status events) or hold more than one version."""
    versions_by_job: dict[str | None, int]
    version_numbers: list[int]
    attempts: int
    stale_runs: list[tuple[str, datetime]]
    """Each run ended because its worker's heartbeat went stale (requeued, or given up):
    the worker's id and when."""

    @property
    def registry_matches(self) -> bool:
        """Exactly one version per succeeded job, none for any other, numbered 1..n."""
        one_each = self.versions_by_job == {job: 1 for job in self.succeeded}
        return one_each and self.version_numbers == list(range(1, len(self.succeeded) + 1))

    def summary(self) -> dict[str, Any]:
        """The counts, for a results file."""
        return {
            "jobs": self.jobs,
            "succeeded": len(self.succeeded),
            "failed_giving_up": len(self.gave_up),
            "failed_otherwise": len(self.failed),
            "cancelled": len(self.cancelled),
            "lost": len(self.lost),
            "duplicates": len(self.duplicates),
            "registered_versions": len(self.version_numbers),
            "registry_matches": self.registry_matches,
            "attempts": self.attempts,
            "runs_gone_stale": len(self.stale_runs),
        }

    def late_heartbeats(self, killed_at: dict[str, datetime]) -> int:
        """Stale runs whose worker was still alive then (never killed, or killed later): a
        heartbeat later than the lease timeout, on a busy machine. The lease fences the
        late run off: it can no longer write, and stops at its next heartbeat."""
        return sum(when < killed_at.get(worker, datetime.max) for worker, when in self.stale_runs)


def outcome(db: Database, job_ids: list[str]) -> ChaosOutcome:
    """Read how ``job_ids`` ended from the jobs, their status events and the registry."""
    with db.session() as session:
        rows = session.query(FineTuneJob).filter(FineTuneJob.id.in_(job_ids)).all()
        events = session.query(JobEvent).filter(
            JobEvent.job_id.in_(job_ids), JobEvent.type == "status"
        )
        events = list(events)
        endings = Counter(e.job_id for e in events if e.data.get("status") in jobs.FINISHED)
        stale = ((STALE.match(e.data.get("reason", "")), e.created_at) for e in events)
        stale_runs = [(match.group(1), when) for match, when in stale if match]
        try:
            versions = registry.list_versions(session, MODEL_NAME)
        except NotFoundError:  # no job registered a version: no model of that name
            versions = []
    by_status: dict[str, list[FineTuneJob]] = {}
    for row in rows:
        by_status.setdefault(row.status, []).append(row)
    failed = by_status.get("failed", [])
    gave_up = [j.id for j in failed if j.attempts >= MAX_ATTEMPTS and "giving up" in j.error]
    versions_by_job = Counter(v.job_id for v in versions)
    return ChaosOutcome(
        jobs=len(job_ids),
        succeeded=sorted(j.id for j in by_status.get("succeeded", [])),
        gave_up=sorted(gave_up),
        failed={j.id: j.error or "" for j in failed if j.id not in gave_up},
        cancelled=sorted(j.id for j in by_status.get("cancelled", [])),
        lost=sorted(j.id for j in rows if j.status not in jobs.FINISHED),
        duplicates=sorted(
            {job for job, n in endings.items() if n > 1}
            | {job for job, n in versions_by_job.items() if n > 1 and job is not None}
        ),
        versions_by_job=dict(versions_by_job),
        version_numbers=[v.version for v in versions],
        attempts=sum(j.attempts for j in rows),
        stale_runs=stale_runs,
    )


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies waiting for a parent that
    never reaps them do not count). Reads ``/proc``: Linux only."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False
