"""Studies run as fine-tune jobs, on the tiny BERT and both databases: a worker runs the
trials one job each, the median rule prunes a diverging trial from inside its job, the
best trial's model registers (audited); a trial whose job dies leaves the study going on;
cancelling stops every trial; bad input fails before anything is queued."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import audit, job_queue, job_runner, jobs, registry, studies
from open_interpreter.services.api_keys import create_key
from open_interpreter.services.callers import Caller
from open_interpreter.services.datasets import store_upload
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.worker import Worker
from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.tables import FineTuneJob
from open_interpreter.tuning import load_study

from ..fixtures.data import conll_bytes
from ..services.records import claim, upload

FAST_WORKER = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}
DIVERGING = {"learning_rate": {"low": 20.0, "high": 60.0, "log": True}}


def base_config(model: str, **changes: Any) -> dict[str, Any]:
    return {
        "model": model,
        "learning_rate": 5e-3,
        "epochs": 3,
        "batch_size": 8,
        "warmup_ratio": 0.0,
        "num_threads": 1,
        **changes,
    }


def make_study(db: Database, model: str, search: dict[str, Any], **options: Any):
    train = options.pop("train_dataset_id", None) or upload(db, 48)
    validation = options.pop("validation_dataset_id", None) or upload(db, 16, seed=1)
    with db.session() as session:
        return studies.create_study(
            session,
            database_url=db.url,
            model_name="ner-tuned",
            config=options.pop("config", base_config(model)),
            train_dataset_id=train,
            validation_dataset_id=validation,
            search=search,
            **options,
        )


def run_next_trial(db: Database) -> str:
    """What a worker does with the next queued job, in this process (no child to spawn)."""
    job = claim(db)
    assert job is not None, "no trial was queued"
    return job_runner.run_job(db, Lease.of(job))


def view(db: Database, study_id: str) -> dict[str, Any]:
    with db.session() as session:
        return studies.study_view(session, studies.get_study(session, study_id), db.url)


def test_a_worker_runs_the_trials_prunes_a_diverging_one_and_registers_the_best(db, tiny_bert_name):
    study = make_study(
        db,
        tiny_bert_name,
        {"space": DIVERGING, "n_trials": 3, "pruner": "median"},
        parallel=1,
        register_best=True,
    )
    first = view(db, study.id)
    assert [t["state"] for t in first["trials"]] == ["running"]  # parallel=1: one queued
    outcomes = []
    for number in range(3):
        outcomes.append(run_next_trial(db))
        if number < 2:
            with db.session() as session:  # what each worker does before it claims a job
                assert studies.advance_study(session, study.id, db.url)
    assert outcomes == ["succeeded", "succeeded", "pruned"]
    assert view(db, study.id)["status"] == "running"  # trial 2 not yet settled
    # A worker settles the last trial, ends the study and registers the best model.
    assert Worker(db.url, migrate=False, **FAST_WORKER).run_once() is False
    done = view(db, study.id)
    assert done["status"] == "succeeded", done
    states = [(t["state"], t["epochs_run"], t["pruned_at"]) for t in done["trials"]]
    # Baseline and the first diverging trial finish; the median rule then has two
    # finished trials and stops the second diverging one after its first epoch.
    assert states == [("complete", 3, None), ("complete", 3, None), ("pruned", 1, 1)]
    assert done["trials"][0]["baseline"] and done["trials"][0]["params"] == {"learning_rate": 5e-3}
    assert done["best_trial"] == 0 and done["best_value"] == done["trials"][0]["value"] > 0.5
    assert done["trials"][2]["job_status"] == "cancelled"
    assert (done["epochs_run"], done["epochs_planned"]) == (7, 9)
    # Optuna's record agrees (oi studies show reads the same study).
    stored = load_study(study.id, studies.storage_url(db.url))
    assert [t.state for t in stored.trials] == ["complete", "complete", "pruned"]
    with db.session() as session:
        trial_jobs = session.scalars(select(FineTuneJob)).all()
        assert all(job.model_version_id is None for job in trial_jobs)  # trials register nothing
        version = registry.get_version(session, "ner-tuned")
        assert version.id == done["model_version_id"]
        assert version.lineage["study"]["id"] == study.id and version.lineage["study"]["trial"] == 0
        assert version.job_id == done["trials"][0]["job_id"]
        # The trial's job scored each epoch only; its last epoch's report stands as after.
        assert version.metrics["after"]["entity_f1"] == pytest.approx(done["best_value"])
        assert "before" not in version.metrics
        events, _ = audit.list_events(session, action="study.register")
        assert [e.target for e in events] == ["ner-tuned@1"]
        with pytest.raises(ConflictError, match="registered its best model already"):
            studies.register_best(session, study.id)
    # Only the best trial's model is kept on disk.
    kept = [artifacts.resolve(f"jobs/{t['job_id']}/run").is_dir() for t in done["trials"]]
    assert kept == [True, False, False]


def test_a_trial_whose_job_dies_fails_and_the_study_goes_on(db, tiny_bert_name):
    study = make_study(db, tiny_bert_name, {"space": DIVERGING, "n_trials": 3}, parallel=2)
    assert len(view(db, study.id)["trials"]) == 2
    dead = claim(db, worker_id="killed")  # a worker claims trial 0's job, then dies
    with db.session() as session:
        assert job_queue.requeue_stale_jobs(session, stale_after_s=-1, max_attempts=3) == [dead.id]
        assert jobs.get_job(session, dead.id).status == "queued"  # re-queued: the trial waits
        assert studies.advance_study(session, study.id, db.url) is False
    for attempt in range(2):  # it dies twice more: the queue gives up on it
        assert claim(db, worker_id=f"killed-{attempt}").id == dead.id
        with db.session() as session:
            job_queue.requeue_stale_jobs(session, stale_after_s=-1)
    with db.session() as session:
        assert jobs.get_job(session, dead.id).status == "failed"
        assert studies.advance_study(session, study.id, db.url) is True
    after = view(db, study.id)
    assert [t["state"] for t in after["trials"]] == ["failed", "running", "running"]
    assert "stopped responding" in after["trials"][0]["error"]
    stored = load_study(study.id, studies.storage_url(db.url))
    assert [t.state for t in stored.trials] == ["failed", "running", "running"]


def test_no_trial_starts_after_the_timeout_but_the_first(db, tiny_bert_name):
    study = make_study(db, tiny_bert_name, {"n_trials": 4, "timeout": 0.001}, parallel=3)
    assert len(view(db, study.id)["trials"]) == 1
    with db.session() as session:
        job = jobs.get_job(session, view(db, study.id)["trials"][0]["job_id"])
        jobs.cancel_job(session, job.id)
        assert studies.advance_study(session, study.id, db.url)  # settles it, asks no more
    ended = view(db, study.id)
    assert ended["status"] == "failed" and ended["error"] == "no trial completed"
    assert [t["state"] for t in ended["trials"]] == ["cancelled"]


def test_cancelling_a_study_cancels_its_trials_jobs(db, tiny_bert_name):
    study = make_study(db, tiny_bert_name, {"n_trials": 4}, parallel=3)
    running = claim(db)
    with db.session() as session:
        cancelled = studies.cancel_study(session, study.id, db.url)
        assert cancelled.status == "cancelled"
        with pytest.raises(ConflictError, match="already finished"):
            studies.cancel_study(session, study.id, db.url)
        with pytest.raises(ConflictError, match="no completed trial"):
            studies.register_best(session, study.id)
        statuses = {job.id: job.status for job in session.scalars(select(FineTuneJob))}
    assert len(statuses) == 3
    assert statuses.pop(running.id) == "running"  # its worker stops it within seconds
    assert set(statuses.values()) == {"cancelled"}
    assert {t["state"] for t in view(db, study.id)["trials"]} == {"cancelled"}
    with db.session() as session:
        assert studies.advance_study(session, study.id, db.url) is False


def test_a_study_and_its_trials_jobs_belong_to_its_key(db, tiny_bert_name):
    with db.session() as session:
        owner = Caller.of_key(create_key(session, name="owner", scope="train")[0])
        other = Caller.of_key(create_key(session, name="other", scope="train")[0])
        ids = {
            split: store_upload(
                session,
                name=split,
                filename=f"{split}.conll",
                data=conll_bytes(8, seed),
                declared_format=None,
                caller=owner,
            ).id
            for seed, split in enumerate(("train_dataset_id", "validation_dataset_id"))
        }
    study = make_study(db, tiny_bert_name, {"n_trials": 2}, caller=owner, **ids)
    with db.session() as session:
        with pytest.raises(NotFoundError):
            studies.get_study(session, study.id, caller=other)
        assert studies.list_studies(session, caller=other) == ([], 0)
        assert studies.list_studies(session, caller=owner)[1] == 1
        trial_jobs, count = jobs.list_jobs(session, caller=owner)
        assert count == 2 and {job.owner_key_id for job in trial_jobs} == {owner.key_id}
        assert jobs.list_jobs(session, caller=other)[1] == 0


BAD = [
    ({"space": {}}, {}, "empty"),
    ({"space": {"learning_rate": {"low": 1e-3, "high": 1e-4}}}, {}, "learning_rate"),
    ({"metric": "bleu"}, {}, "is not measured for token-classification"),
    ({"metric": "loss", "direction": "maximize"}, {}, "contradicts"),
    ({"n_trials": 1}, {}, "at least 2"),
    ({"n_trials": 2}, {"parallel": 0}, "parallel=0"),
    ({"n_trials": 2}, {"config": {"eval_every_epoch": False}}, "after each epoch"),
]


def test_bad_input_fails_before_anything_is_queued(db, tiny_bert_name):
    for search, options, message in BAD:
        if "config" in options:
            options = {"config": base_config(tiny_bert_name, **options["config"])}
        with pytest.raises(ConfigError, match=message):
            make_study(db, tiny_bert_name, search, **options)
    with pytest.raises(ConfigError, match="validation"), db.session() as session:
        studies.create_study(
            session,
            database_url=db.url,
            model_name="x",
            config=base_config(tiny_bert_name),
            train_dataset_id=upload(db, 4),
            validation_dataset_id=None,
            search={"n_trials": 2},
        )
    with db.session() as session:
        assert session.scalars(select(FineTuneJob)).all() == []
        assert studies.list_studies(session)[1] == 0


def test_an_ended_study_takes_more_trials_and_the_workers_run_them(db, tiny_bert_name, monkeypatch):
    config = base_config(tiny_bert_name, epochs=1)
    search = {"space": DIVERGING, "n_trials": 2, "pruner": "none"}
    study = make_study(db, tiny_bert_name, search, parallel=1, register_best=True, config=config)
    for _ in range(2):
        run_next_trial(db)
        with db.session() as session:
            studies.advance_study(session, study.id, db.url)
    ended = view(db, study.id)
    assert ended["status"] == "succeeded" and ended["best_trial"] == 0
    with db.session() as session:
        with pytest.raises(ConfigError, match="at least 1"):
            studies.add_trials(session, study.id, db.url, 0)
        with pytest.raises(ConfigError, match="above the 1000"):
            studies.add_trials(session, study.id, db.url, 999)
        assert studies._lock(session, study.id)  # a caller is advancing it (registering...)
        monkeypatch.setattr(studies.time, "sleep", lambda _s: None)
        with pytest.raises(ConflictError, match="is being advanced"):
            studies.add_trials(session, study.id, db.url, 1)
        studies._unlock(session, study.id)
        resumed = studies.add_trials(session, study.id, db.url, 1)
        assert resumed.status == "running" and resumed.finished_at is None
    again = view(db, study.id)
    assert [t["state"] for t in again["trials"]] == ["complete", "complete", "running"]
    assert again["n_trials"] == 3
    assert run_next_trial(db) == "succeeded"
    with db.session() as session:
        assert studies.advance_study(session, study.id, db.url)
    done = view(db, study.id)
    assert done["status"] == "succeeded" and done["best_trial"] == 0
    assert [t["state"] for t in done["trials"]] == ["complete"] * 3
    assert done["trials"][2]["params"] != done["trials"][1]["params"]  # drawn afresh
    stored = load_study(study.id, studies.storage_url(db.url))
    assert [t.state for t in stored.trials] == ["complete"] * 3 and stored.info["n_trials"] == 3
    with db.session() as session:  # the best did not change: still the one version
        assert registry.get_version(session, "ner-tuned").version == 1
        assert done["model_version_id"] == ended["model_version_id"]


def test_a_cancelled_study_takes_no_more_trials(db, tiny_bert_name):
    study = make_study(db, tiny_bert_name, {"n_trials": 2}, parallel=1)
    with db.session() as session:
        studies.cancel_study(session, study.id, db.url)
        with pytest.raises(ConflictError, match="cancelled on request"):
            studies.add_trials(session, study.id, db.url, 2)
        assert studies.get_study(session, study.id).search["n_trials"] == 2
