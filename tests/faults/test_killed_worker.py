"""A worker SIGKILLed in the middle of a save, on PostgreSQL: while it writes a
checkpoint, the model it saves when training ends, or the copy the registry keeps. The
job is taken over by another worker once its heartbeat lapses, resumed, and registered
exactly once, complete; nothing half-written is ever in sight (``faulty_oi.py`` stalls
the save at that moment, so the kill lands there every time)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from open_interpreter.bundle import MANIFEST, ModelBundle
from open_interpreter.services import jobs, registry
from open_interpreter.services.worker import Worker
from open_interpreter.storage import Database, artifacts

from ..services.records import make_job, status_of
from .processes import Oi, leftovers, wait_for, wait_for_barrier

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.skipif(sys.platform != "linux", reason="kills process groups, reads /proc"),
]

FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}
# 12 examples in batches of 2: 6 steps an epoch; checkpoints at steps 10 and 20
JOB = {
    "learning_rate": 5e-3,
    "batch_size": 2,
    "warmup_ratio": 0.0,
    "num_threads": 1,
    "max_steps": 25,
    "checkpoint_every": 10,
}


@pytest.mark.parametrize("moment", ["checkpoint", "saved-model", "registry-copy"])
def test_a_worker_killed_mid_save_is_resumed_and_registers_one_complete_version(
    db, tiny_bert_name, tmp_path, moment
):
    job = make_job(db, {**JOB, "model": tiny_bert_name})
    run_dir = artifacts.resolve(f"jobs/{job.id}/run")
    barrier = tmp_path / "stalled"
    worker_args = ("worker", "--database-url", db.url, "--id", "doomed", "--poll-interval", "0.1")
    with Oi.start(
        *worker_args, log=tmp_path / "doomed.log", stall=moment, barrier=barrier
    ) as doomed:
        wait_for_barrier(barrier, doomed)
        _nothing_half_written_in_sight(db, run_dir, finished=moment == "registry-copy")
        doomed.kill()
    assert status_of(db, job.id).status == "running"  # nobody has noticed yet

    heir = Worker(db.url, worker_id="heir", stale_after=1, migrate=False, **FAST)
    wait_for(heir.run_once, 120, "another worker to take the job over and run it")

    done = status_of(db, job.id)
    assert (done.status, done.worker_id, done.attempts) == ("succeeded", "heir", 2), done.error
    with db.session() as session:
        versions = registry.list_versions(session, "ner")
        logs = [e.data for e in jobs.job_events(session, job.id) if e.type == "log"]
    assert [(v.version, v.job_id) for v in versions] == [(1, job.id)]
    if moment == "registry-copy":
        assert any("training had finished" in log["message"] for log in logs)
    else:
        resumed = [log["resumed_from_step"] for log in logs if "resumed_from_step" in log]
        assert resumed == [10 if moment == "checkpoint" else 20]
    version_dir = artifacts.resolve(versions[0].path)
    assert _files(version_dir) == _files(run_dir)  # the whole saved model, byte for byte
    assert ModelBundle.load(version_dir).labels
    assert sorted(p.name for p in version_dir.parent.iterdir()) == ["v1"]
    assert leftovers() == []


def _nothing_half_written_in_sight(db: Database, run_dir: Path, *, finished: bool) -> None:
    """At the stall: every checkpoint and model under its own name is complete; what is
    being written has a temporary name; no version is registered."""
    checkpoints = run_dir / "checkpoints"
    if finished:
        assert (run_dir / MANIFEST).is_file() and not checkpoints.exists()
    else:
        assert not (run_dir / MANIFEST).exists()
        for checkpoint in _visible(checkpoints, deep=False):
            assert {p.name for p in checkpoint.iterdir()} >= {
                "model.safetensors",
                "optimizer.pt",
                "trainer_state.json",
            }, f"{checkpoint} is incomplete"
        assert _visible(checkpoints), "the first checkpoint should be complete"
    with db.session() as session:
        assert registry.list_models(session) == []
    assert [p for p in _visible(artifacts.resolve("models")) if p.is_file()] == []
    assert leftovers(), "the stalled write should be under a temporary name"


def _visible(folder: Path, *, deep: bool = True) -> list[Path]:
    """What a reader of ``folder`` takes for finished work: entries outside hidden names."""
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if deep else folder.iterdir()
    return sorted(
        p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
