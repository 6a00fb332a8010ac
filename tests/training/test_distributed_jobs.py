"""Jobs that ask for processes, on SQLite and PostgreSQL: a worker claims only the jobs its
capacity fits, and runs a job that asks for N processes as N processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from open_interpreter.errors import ConfigError, TrainingProcessError
from open_interpreter.services import job_queue, job_runner
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.job_queue import Lease
from open_interpreter.storage.db import MIGRATIONS

from ..services.records import make_job, status_of, upload

NEEDS = ("needs_processes", "needs_gpus", "needs_memory_mb")


def _claim(db, capacity: Capacity | None, worker_id: str = "w"):
    with db.session() as session:
        return job_queue.claim_job(session, worker_id=worker_id, capacity=capacity)


def test_a_two_process_job_waits_for_a_two_process_worker(db) -> None:
    big = make_job(db, {"distributed": {"processes": 2}})
    small = make_job(db)
    assert (big.needs_processes, big.config["distributed"]["processes"]) == (2, 2)
    assert _claim(db, Capacity(processes=1), "one").id == small.id  # the older one waits
    assert _claim(db, Capacity(processes=1), "one") is None
    assert status_of(db, big.id).status == "queued"
    claimed = _claim(db, Capacity(processes=2), "two")
    assert (claimed.id, claimed.worker_id) == (big.id, "two")


def test_a_worker_without_capacity_takes_one_process_jobs_only(db) -> None:
    make_job(db, {"distributed": 2})
    assert _claim(db, None) is None


def test_resources_set_what_the_job_needs_and_its_processes(db) -> None:
    train = upload(db)
    with db.session() as session:
        job = job_runner.jobs.create_job(
            session,
            model_name="ner",
            config={},
            train_dataset_id=train,
            resources={"processes": 3, "gpus": 1, "memory_gb": 2},
        )
    assert [getattr(job, name) for name in NEEDS] == [3, 1, 2048]
    assert job.config["distributed"]["processes"] == 3  # the worker launches 3
    assert _claim(db, Capacity(processes=3, gpus=0, memory_mb=4096)) is None  # no GPU
    assert _claim(db, Capacity(processes=3, gpus=1, memory_mb=1024)) is None  # memory
    assert _claim(db, Capacity(processes=3, gpus=1)) is None  # memory not stated
    assert _claim(db, Capacity(processes=4, gpus=2, memory_mb=4096)).id == job.id


def test_an_nccl_job_needs_a_gpu_per_process(db) -> None:
    job = make_job(db, {"distributed": {"processes": 2, "backend": "nccl"}})
    assert (job.needs_processes, job.needs_gpus) == (2, 2)
    assert _claim(db, Capacity(processes=2, gpus=1)) is None


@pytest.mark.parametrize(
    ("config", "resources", "message"),
    [
        ({}, {"cpus": 2}, "unknown"),
        ({}, {"processes": 0}, "whole number"),
        ({}, {"gpus": 1.5}, "whole number"),
        ({"distributed": 2}, {"processes": 3}, "differs"),
        ({"distributed": {"nnodes": 2, "rdzv_endpoint": "h:1"}}, None, "one worker's machine"),
    ],
)
def test_bad_resources_are_refused(db, config, resources, message) -> None:
    train = upload(db)
    with db.session() as session, pytest.raises(ConfigError, match=message):
        job_runner.jobs.create_job(
            session, model_name="ner", config=config, train_dataset_id=train, resources=resources
        )


def test_the_runner_launches_as_many_processes_as_the_job_asks(db, monkeypatch) -> None:
    launched = []

    def launch(bundle, data, on_event=None):
        launched.append(bundle.config.distributed.processes)
        raise TrainingProcessError("training process rank 1 failed: ValueError: broken")

    monkeypatch.setattr("open_interpreter.training.distributed.launch", launch)
    make_job(db, {"distributed": 2})
    job = _claim(db, Capacity(processes=2))
    assert job_runner.run_job(db, Lease.of(job)) == "failed"
    assert launched == [2]
    assert status_of(db, job.id).error == "training process rank 1 failed: ValueError: broken"


def test_migration_0012_adds_and_removes_the_needs_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "0012")
        columns = {c["name"]: c for c in inspect(engine).get_columns("fine_tune_jobs")}
        assert {name: str(columns[name]["default"]).strip("'") for name in NEEDS} == {
            "needs_processes": "1",
            "needs_gpus": "0",
            "needs_memory_mb": "0",
        }
        command.downgrade(config, "0011")
        columns = {c["name"] for c in inspect(engine).get_columns("fine_tune_jobs")}
        assert not columns & set(NEEDS)
    finally:
        engine.dispose()
