"""Jobs of another kind than a fine-tune, on both databases: checked before they are
queued, run by the job runner through their kind, their result kept, cancellable."""

from __future__ import annotations

from typing import Any

import pytest

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.services import job_kinds, jobs
from open_interpreter.services.job_kinds import JobContext, JobKind, job_kind
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import run_job

from .records import claim, status_of

RAN: list[str] = []


def _check(config: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(config.get("times"), int) or config["times"] < 1:
        raise ConfigError("times: a whole number of at least 1")
    return {"times": config["times"], "say": str(config.get("say", "hello"))}


def _run(ctx: JobContext) -> dict[str, Any]:
    said = []
    for _ in range(ctx.job.config["times"]):
        ctx.check_cancelled()
        if ctx.job.config["say"] == "bad":
            raise DataError("nothing to say")
        said.append(ctx.job.config["say"])
        ctx.log(f"said {said[-1]}")
    (ctx.run_dir / "said.txt").write_text(" ".join(said))
    RAN.append(ctx.job.id)
    return {"said": said}


ECHO = JobKind(name="echo", check=_check, run=_run)


@pytest.fixture
def echo_kind(monkeypatch):
    monkeypatch.setitem(job_kinds.KINDS, "echo", f"{__name__}:ECHO")
    return ECHO


def queue(db, config: dict[str, Any]):
    with db.session() as session:
        return jobs.create_job(session, model_name="echoes", config=config, kind="echo")


def test_a_job_of_another_kind_is_checked_run_and_keeps_its_result(db, echo_kind):
    job = queue(db, {"times": 2, "say": "hi"})
    assert job.kind == "echo" and job.config == {"times": 2, "say": "hi"}
    assert job.train_dataset_id is None
    lease = Lease.of(claim(db))
    assert run_job(db, lease) == "succeeded"
    done = status_of(db, job.id)
    assert done.status == "succeeded" and done.result == {"said": ["hi", "hi"]}
    assert done.model_version_id is None
    with db.session() as session:
        logs = [e.data["message"] for e in jobs.job_events(session, job.id) if e.type == "log"]
    assert logs == ["said hi", "said hi"]


def test_its_config_is_checked_before_anything_is_queued(db, echo_kind):
    with pytest.raises(ConfigError, match="times"):
        queue(db, {"times": 0})
    with db.session() as session:
        assert jobs.list_jobs(session)[1] == 0


def test_an_unknown_kind_is_refused_naming_the_known_ones(db):
    with pytest.raises(ConfigError, match=r"unknown job kind 'nope'.*fine_tune"):
        job_kind("nope")
    with db.session() as session, pytest.raises(ConfigError, match="unknown job kind"):
        jobs.create_job(session, model_name="x", config={}, kind="nope")


def test_a_fine_tune_still_needs_its_training_data(db):
    with db.session() as session, pytest.raises(ConfigError, match="training dataset"):
        jobs.create_job(session, model_name="x", config={})


def test_a_failing_run_fails_the_job_with_its_message(db, echo_kind):
    job = queue(db, {"times": 1, "say": "bad"})
    assert run_job(db, Lease.of(claim(db))) == "failed"
    assert status_of(db, job.id).error == "nothing to say"


def test_a_cancelled_job_stops_without_a_result(db, echo_kind):
    job = queue(db, {"times": 3})
    lease = Lease.of(claim(db))
    with db.session() as session:
        jobs.cancel_job(session, job.id)
    RAN.clear()
    assert run_job(db, lease) == "lost"
    assert RAN == [] and status_of(db, job.id).result is None
