"""Fine-tunes from Python and ``oi train`` are recorded as runs in the job tables
(``source`` python / cli): ``oi runs list|show`` and the API the dashboard reads list them
with their curves and reports; failures, cancelling and the off switch."""

from __future__ import annotations

import json
import logging

import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.cli import main
from open_interpreter.errors import DataError
from open_interpreter.services import job_queue, jobs
from open_interpreter.services.runs import RunRecorder
from open_interpreter.storage import Database

from ..fixtures.api import key, make_client
from ..fixtures.data import conll_bytes, ner_sentences

TINY = {"learning_rate": 5e-3, "batch_size": 8, "warmup_ratio": 0.0, "progress": False}


@pytest.fixture
def recording(db, monkeypatch) -> Database:
    """Runs are recorded, in ``db``."""
    monkeypatch.setenv("OI_RECORD_RUNS", "1")
    monkeypatch.setenv("OI_DATABASE_URL", db.url)
    return db


def _fine_tune(tiny_bert_dir, tmp_path, **settings):
    tokens, tags = ner_sentences(24)
    dev_tokens, dev_tags = ner_sentences(8, seed=1)
    return OpenInterpreter(str(tiny_bert_dir)).fine_tune(
        train_data=tokens,
        train_labels=tags,
        validation_data=dev_tokens,
        validation_labels=dev_tags,
        output_dir=str(tmp_path / "people-ner"),
        **{**TINY, **settings},
    )


def test_a_python_fine_tune_is_a_run_the_cli_and_the_dashboard_list(
    recording, runner, tiny_bert_dir, tmp_path
):
    result = _fine_tune(tiny_bert_dir, tmp_path, epochs=2)
    [listed] = json.loads(runner.invoke(main, ["runs", "list", "--json"]).stdout)
    assert listed["source"] == "python" and listed["status"] == "succeeded"
    assert listed["name"] == "people-ner" and listed["base_model"] == str(tiny_bert_dir)
    assert listed["step"] == listed["total_steps"] == result.training.steps
    assert listed["best_metric"]["name"] == "entity_f1"
    shown = json.loads(runner.invoke(main, ["runs", "show", listed["id"], "--json"]).stdout)
    assert [p["step"] for p in shown["curve"]][-1] == result.training.steps
    assert [e["epoch"] for e in shown["evaluations"]] == [1, 2]
    assert shown["result"]["reports"]["after"]["accuracy"] == pytest.approx(result.after.accuracy)
    assert shown["config"]["epochs"] == 2 and shown["output_dir"].endswith("people-ner")
    text = runner.invoke(main, ["runs", "show", listed["id"]]).output
    assert "python run of people-ner: succeeded" in text and "loss by step:" in text
    assert "Entity level (strict IOB2)" in text
    table = runner.invoke(main, ["runs", "list"]).output
    assert listed["id"] in table and "python" in table
    with make_client(recording) as client:  # what the dashboard's runs and run pages read
        headers = key(recording, "admin")
        jobs_page = client.get("/v1/fine-tunes", headers=headers).json()
        assert [(j["id"], j["source"]) for j in jobs_page["data"]] == [(listed["id"], "python")]
        assert jobs_page["data"][0]["train_dataset_id"] is None
        history = client.get(f"/v1/fine-tunes/{listed['id']}/history", headers=headers).json()
        assert "step" in {e["type"] for e in history["data"]}


def test_oi_train_records_a_cli_run(recording, runner, tiny_bert_dir, tmp_path):
    (tmp_path / "train.conll").write_bytes(conll_bytes(16, 0))
    config = tmp_path / "people.yaml"
    config.write_text(f"model: {tiny_bert_dir}\ndata:\n  train: train.conll\n")
    trained = runner.invoke(main, ["train", str(config), "epochs=1", "progress=false"])
    assert trained.exit_code == 0, trained.output
    [run] = json.loads(runner.invoke(main, ["runs", "list", "--source", "cli", "--json"]).stdout)
    assert run["name"] == "people" and run["status"] == "succeeded"
    assert (
        json.loads(runner.invoke(main, ["runs", "list", "--source", "python", "--json"]).stdout)
        == []
    )


def test_a_failed_fine_tune_is_a_failed_run(recording, runner, tiny_bert_dir, tmp_path):
    with pytest.raises(DataError) as raised:  # no labels: refused once the data is read
        OpenInterpreter(str(tiny_bert_dir)).fine_tune(train_data=["great", "awful"], epochs=1)
    [run] = json.loads(runner.invoke(main, ["runs", "list", "--json"]).stdout)
    assert run["status"] == "failed" and run["error"].startswith("DataError: ")
    assert str(raised.value).splitlines()[0] in run["error"]


def test_cancelling_a_recorded_run_stops_it_and_workers_leave_it_alone(recording):
    recorder = RunRecorder(recording, name="x", config={"model": "m"}, flush_every_s=3600)
    run_id = recorder.start()
    assert recorder.on_event({"type": "step", "step": 1, "total_steps": 9, "loss": 1.0}) is False
    with recording.session() as session:  # a worker looking for stale running jobs
        assert job_queue.requeue_stale_jobs(session, stale_after_s=0) == []
        assert job_queue.claim_job(session, worker_id="w") is None
        jobs.cancel_job(session, run_id)
    assert recorder.on_event({"type": "evaluation", "epoch": 1, "metrics": {"f1": 0.5}}) is True
    recorder.finish({"reports": {}})
    with recording.session() as session:
        assert jobs.get_job(session, run_id).status == "cancelled"


def test_recording_off_or_impossible_never_stops_training(
    runner, db, tiny_bert_dir, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("OI_DATABASE_URL", db.url)
    _fine_tune(tiny_bert_dir, tmp_path, epochs=1)  # OI_RECORD_RUNS=0 (tests' default)
    assert json.loads(runner.invoke(main, ["runs", "list", "--json"]).stdout) == []
    monkeypatch.setenv("OI_RECORD_RUNS", "1")
    monkeypatch.setenv("OI_DATABASE_URL", "postgresql+psycopg://oi:oi@127.0.0.1:1/nowhere")
    with caplog.at_level(logging.WARNING, logger="open_interpreter.services.runs"):
        result = _fine_tune(tiny_bert_dir, tmp_path, epochs=1)
    assert result.after is not None and "this run is not recorded" in caplog.text


def test_a_run_whose_process_was_killed_is_marked_failed_not_left_running(
    recording, runner, monkeypatch
):
    import subprocess
    import sys
    from datetime import timedelta

    from open_interpreter.services import runs
    from open_interpreter.storage.tables import FineTuneJob, utcnow

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a real process id, of a process that is no more (kill -9 ends the same)
    killed = RunRecorder(recording, name="killed", config={}, source="cli")
    killed.start()
    alive = RunRecorder(recording, name="alive", config={}, source="python")
    alive.start()  # this very process
    far = RunRecorder(recording, name="far", config={}, source="cli")
    far.start()
    with recording.session() as session:
        session.get(
            FineTuneJob, killed.run_id
        ).worker_id = f"cli@{runs.socket.gethostname()}:{gone.pid}"
        row = session.get(FineTuneJob, far.run_id)
        row.worker_id = "cli@another-machine:1"
        row.heartbeat_at = utcnow() - timedelta(seconds=runs.ABANDONED_AFTER_S + 60)
        session.commit()
    listed = {
        r["name"]: r for r in json.loads(runner.invoke(main, ["runs", "list", "--json"]).stdout)
    }
    assert listed["killed"]["status"] == listed["far"]["status"] == "failed"
    assert listed["alive"]["status"] == "running"
    shown = json.loads(runner.invoke(main, ["runs", "show", killed.run_id, "--json"]).stdout)
    assert "ended without finishing" in shown["error"]
    with make_client(recording) as client:  # what the dashboard's runs page reads
        answer = client.get(f"/v1/fine-tunes/{alive.run_id}", headers=key(recording, "admin"))
    assert answer.json()["status"] == "running"
