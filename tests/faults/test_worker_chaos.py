"""Workers SIGKILLed at random while they work through a queue, on PostgreSQL: every job
ends exactly once — none lost, none run to the end twice — and the registry holds exactly
one version per succeeded job.

3 ``oi worker`` processes and 4 jobs; 3 times, a worker running a job (drawn at random) is
killed with its job's process a random moment into the job, and started again under a new
name. A job whose worker dies 3 times is given up (failed, and says so) rather than
retried for ever: that too is an end.
"""

from __future__ import annotations

import random
import sys
import time

import pytest

from open_interpreter.services import registry

from ..fixtures.waiting import wait_for
from ..services.records import make_job, status_of, upload
from .processes import Oi

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]

JOBS = 4
WORKERS = 3
KILLS = 3
# 12 examples in batches of 2: 6 steps an epoch, 12 steps in all, a checkpoint every 4
JOB = {
    "learning_rate": 5e-3,
    "batch_size": 2,
    "warmup_ratio": 0.0,
    "num_threads": 1,
    "max_steps": 12,
    "checkpoint_every": 4,
}


def test_every_job_ends_exactly_once_while_workers_are_killed(db, tiny_bert_name, tmp_path):
    dataset = upload(db)
    config = {**JOB, "model": tiny_bert_name}
    job_ids = [make_job(db, config, train_dataset_id=dataset).id for _ in range(JOBS)]

    def start(slot: int, life: int) -> Oi:
        name = f"w{slot}-{life}"
        args = ("worker", "--database-url", db.url, "--id", name, "--poll-interval", "0.2")
        return Oi.start(*args, "--stale-after", "4", log=tmp_path / f"{name}.log")

    rng = random.Random(0)
    workers = {f"w{slot}-0": start(slot, 0) for slot in range(WORKERS)}

    def busy_workers() -> list[str]:
        return [
            job.worker_id
            for job in map(lambda j: status_of(db, j), job_ids)
            if job.status == "running" and job.worker_id in workers
        ]

    deadline = time.monotonic() + 600
    try:
        for kill in range(1, KILLS + 1):
            victim = rng.choice(wait_for(busy_workers, 300, "a worker to run a job"))
            time.sleep(rng.uniform(0.5, 3.0))
            workers.pop(victim).kill()
            slot = int(victim[1 : victim.index("-")])
            workers[f"w{slot}-{kill}"] = start(slot, kill)
        while not all(status_of(db, j).status in ("succeeded", "failed") for j in job_ids):
            assert time.monotonic() < deadline, [status_of(db, j).status for j in job_ids]
            time.sleep(0.5)
    finally:
        for worker in workers.values():
            worker.kill()

    finished = [status_of(db, j) for j in job_ids]
    succeeded = [j.id for j in finished if j.status == "succeeded"]
    for job in finished:
        if job.status == "failed":
            assert job.attempts == 3 and "giving up" in job.error, job.error
    assert succeeded, [j.error for j in finished]
    assert sum(j.attempts for j in finished) > JOBS, "no kill landed in a running job"
    with db.session() as session:
        versions = registry.list_versions(session, "ner")
    assert sorted(v.job_id for v in versions) == sorted(succeeded)  # one version each
    assert [v.version for v in versions] == list(range(1, len(succeeded) + 1))
