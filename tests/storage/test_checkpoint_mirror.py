"""A fine-tune job's checkpoints reach the object store while it trains: a job killed
mid-training on one machine resumes from its last uploaded checkpoint on another (two
``OI_HOME`` caches, one SQLite file, one moto bucket: the fixtures of
``test_object_artifacts.py``); without a store the mirror never looks at the disk; an
upload that fails is a warning and training goes on."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from open_interpreter.services import checkpoint_mirror, job_queue, job_runner, jobs, registry
from open_interpreter.services.checkpoint_mirror import CheckpointMirror
from open_interpreter.services.job_queue import Lease
from open_interpreter.storage.object_store import MANIFEST
from open_interpreter.training import checkpoint

from ..services.records import claim, make_job, status_of
from .test_object_artifacts import bucket, endpoint, keys, machines, shared_db  # noqa: F401


class Killed(BaseException):
    """What a SIGKILL does to the worker's process: nothing after it runs, no handler."""


def job_logs(db, job_id: str) -> list[dict]:
    with db.session() as session:
        return [e.data for e in jobs.job_events(session, job_id) if e.type == "log"]


def fake_checkpoint(run_dir: Path, step: int, state: dict | None = None) -> Path:
    path = run_dir / "checkpoints" / f"step-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"w" * 64)
    (path / "trainer_state.json").write_text(json.dumps(state or {"step": step}))
    return path


@pytest.fixture
def look_every_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mirror looks at each event (no wait between looks or after an upload)."""
    monkeypatch.setattr(checkpoint_mirror, "CHECK_EVERY_S", 0.0)
    monkeypatch.setattr(checkpoint_mirror, "UPLOAD_SHARE", 1.0)


def test_a_job_killed_mid_training_resumes_on_another_machine_from_the_bucket(
    machines,  # noqa: F811
    bucket,  # noqa: F811
    shared_db,  # noqa: F811
    tiny_bert_dir,
    look_every_event,
    monkeypatch,
    tmp_path,
):
    for machine in ("a", "b"):  # base models are per machine (each has the package)
        shutil.copytree(tiny_bert_dir, machines(machine).parent / "models" / "tiny-bert")
    machines("a")
    config = {"model": "tiny-bert", "batch_size": 2, "max_steps": 8, "checkpoint_every": 2}
    job = make_job(shared_db, {**config, "learning_rate": 5e-3, "num_threads": 1})
    lease_a = Lease.of(claim(shared_db, "on-a"))
    watch = CheckpointMirror.__call__

    def killed_once_step_4_is_up(self, event):
        watch(self, event)
        if self.published_step >= 4:
            raise Killed

    monkeypatch.setattr(CheckpointMirror, "__call__", killed_once_step_4_is_up)
    with pytest.raises(Killed):
        job_runner.run_job(shared_db, lease_a)
    steps_on_b: list[int] = []

    def counted(self, event):
        steps_on_b.extend([event["step"]] if event.get("type") == "step" else [])
        watch(self, event)

    monkeypatch.setattr(CheckpointMirror, "__call__", counted)
    peek = tmp_path / "peek"
    assert bucket.download(f"jobs/{job.id}/checkpoint", peek)
    assert json.loads((peek / "trainer_state.json").read_text())["step"] == 4
    assert status_of(shared_db, job.id).status == "running"  # nobody has noticed yet
    with shared_db.session() as session:
        assert job_queue.requeue_stale_jobs(session, stale_after_s=0) == [job.id]

    cache_b = machines("b")
    assert not (cache_b / "jobs").exists()  # machine b has nothing of this job
    lease_b = Lease.of(claim(shared_db, "on-b"))
    assert job_runner.run_job(shared_db, lease_b) == "succeeded"
    done = status_of(shared_db, job.id)
    assert (done.status, done.worker_id, done.attempts) == ("succeeded", "on-b", 2), done.error
    resumed = [log for log in job_logs(shared_db, job.id) if "resumed_from_step" in log]
    assert [(r["message"], r["resumed_from_step"]) for r in resumed] == [
        ("resumed from step 4 (from the object store)", 4)
    ]
    with shared_db.session() as session:
        versions = registry.list_versions(session, "ner")
    assert [(v.version, v.job_id) for v in versions] == [(1, job.id)]
    assert steps_on_b == [5, 6, 7, 8]  # trained on from the checkpoint, not from step 0
    assert keys(bucket, f"jobs/{job.id}/checkpoint") == []  # dropped: the run is saved
    assert f"jobs/{job.id}/run/{MANIFEST}" in keys(bucket, f"jobs/{job.id}/run")


def test_without_a_store_the_mirror_never_looks_at_the_run_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("OI_ARTIFACTS_URL", raising=False)

    def listing(_run_dir):
        raise AssertionError("the run folder was listed")

    monkeypatch.setattr(checkpoint, "latest_checkpoint", listing)
    monkeypatch.setattr(checkpoint_mirror, "CHECK_EVERY_S", 0.0)
    mirror = CheckpointMirror("ft_x", tmp_path)
    for step in range(1, 1001):
        mirror({"type": "step", "step": step})
    assert mirror.publish_newest() is None
    assert checkpoint_mirror.restore("ft_x", tmp_path) is None
    checkpoint_mirror.remove("ft_x")


def test_a_failed_upload_is_a_warning_and_the_next_look_tries_again(
    machines,  # noqa: F811
    bucket,  # noqa: F811
    look_every_event,
    monkeypatch,
    caplog,
):
    run_a = machines("a") / "jobs" / "ft_up" / "run"
    fake_checkpoint(run_a, 3)
    warned: list[str] = []
    mirror = CheckpointMirror("ft_up", run_a, warn=warned.append)
    real_put = mirror.store.fs.put

    def refused(*_args, **_kwargs):
        raise ConnectionResetError("the store went away")

    monkeypatch.setattr(mirror.store.fs, "put", refused)
    with caplog.at_level(logging.WARNING):
        mirror({"type": "step", "step": 4})  # no exception: training goes on
    assert mirror.published_step == 0 and len(warned) == 1
    assert "checkpoint of step 3" in warned[0] and "127.0.0.1" not in warned[0]
    assert any("could not upload" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(mirror.store.fs, "put", real_put)
    mirror({"type": "evaluation", "epoch": 1})
    assert mirror.published_step == 3
    mirror({"type": "step", "step": 5})  # nothing newer: nothing uploaded again
    assert mirror.publish_newest() is None

    run_b = machines("b") / "jobs" / "ft_up" / "run"
    assert checkpoint_mirror.restore("ft_up", run_b) == 3
    assert (run_b / "checkpoints" / "step-3" / "model.safetensors").read_bytes() == b"w" * 64
    assert [p.name for p in (run_b / "checkpoints").iterdir()] == ["step-3"]
    assert checkpoint_mirror.restore("ft_up", run_b) is None  # a local one is used as it is


def test_a_stored_checkpoint_without_a_step_is_not_restored(
    machines,  # noqa: F811
    bucket,  # noqa: F811
    look_every_event,
):
    run_a = machines("a") / "jobs" / "ft_bad" / "run"
    fake_checkpoint(run_a, 2, state={"epoch": 0})
    assert CheckpointMirror("ft_bad", run_a).publish_newest() == 2
    run_b = machines("b") / "jobs" / "ft_bad" / "run"
    assert checkpoint_mirror.restore("ft_bad", run_b) is None
    assert list((run_b / "checkpoints").iterdir()) == []  # no half, no temporary left
