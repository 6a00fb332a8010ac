"""Workers SIGKILLed at random while they work through a queue, on PostgreSQL: every job
ends exactly once — none lost, none run to the end twice — and the registry holds exactly
one version per succeeded job.

3 ``oi worker`` processes and 4 jobs; 3 times, a worker running a job (drawn at random) is
killed with its job's process a random moment into the job, and started again under a new
name. A job whose worker dies 3 times is given up (failed, and says so) rather than
retried for ever: that too is an end. The same run at scale (30 jobs, a kill every 10 s)
is ``benchmarks/bench_chaos.py``; both use ``benchmarks/chaos_site.py``.
"""

from __future__ import annotations

import random
import sys
import time

import pytest
from benchmarks.chaos_site import WorkerPool, outcome, queue_jobs, run_chaos, worker_args

from ..services.records import upload
from .processes import Oi

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]

JOBS = 4
WORKERS = 3
KILLS = 3


def test_every_job_ends_exactly_once_while_workers_are_killed(db, tiny_bert_name, tmp_path):
    job_ids = queue_jobs(db, upload(db), tiny_bert_name, JOBS)

    def launch(name: str) -> Oi:
        return Oi.start(*worker_args(db.url, name), log=tmp_path / f"{name}.log")

    rng = random.Random(0)
    pool = WorkerPool(launch, WORKERS)

    def a_moment_into_a_job(busy: list[str]) -> str | None:
        if pool.kills >= KILLS or not busy:
            return None
        victim = rng.choice(busy)
        time.sleep(rng.uniform(0.5, 3.0))
        return victim

    try:
        run_chaos(db, pool.start(), job_ids, choose_victim=a_moment_into_a_job, timeout_s=600)
    finally:
        pool.stop()

    ended = outcome(db, job_ids)
    assert not ended.lost, f"jobs not ended after 600 s: {ended.lost}"
    assert not ended.duplicates, f"jobs that ended twice: {ended.duplicates}"
    assert not ended.failed, ended.failed  # the only failures allowed: giving up after 3
    assert ended.succeeded, ended.summary()
    assert pool.kills == KILLS and ended.attempts > JOBS, "no kill landed in a running job"
    assert ended.registry_matches, (ended.versions_by_job, ended.version_numbers)
