"""Export jobs (kind ``export``) on both databases: run by the worker's child process to
an export kept with the version and its card as the job's result; a refused export fails
the job with the refusal and keeps nothing; bad configs are refused before queueing."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.export import parity
from open_interpreter.services import export_jobs, exports, registry
from open_interpreter.services.audit import list_events
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import run_job
from open_interpreter.services.worker import Worker
from open_interpreter.storage import artifacts

from .records import claim, status_of, upload

FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.5, "grace_period": 2.0}


@pytest.fixture
def ner(db, tiny_ner_model_dir):
    """The tiny NER model registered as ``ner`` version 1; returns its artifact folder."""
    with db.session() as session:
        row = registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
        return artifacts.resolve(row.path)


def test_the_worker_exports_a_version_and_keeps_the_card_as_the_result(db, ner):
    dataset = upload(db, 12, seed=3)
    with db.session() as session:
        job = export_jobs.queue_export(session, "ner", 1, dataset_id=dataset)
    assert job.kind == "export" and job.config == {"version": 1, "quantize": None}

    worker = Worker(db.url, worker_id="exporter", migrate=False, **FAST)
    assert worker.run_once() is True
    done = status_of(db, job.id)
    assert done.status == "succeeded", done.error
    result = done.result
    assert result["model_name"] == "ner" and result["version"] == 1
    assert result["precision"] == "fp32" and result["parity_dataset"] == "tiny"
    assert result["parity"]["fp32_max_logit_difference"] <= 1e-4
    assert result["parity"]["sample"].startswith("12 ")
    assert result["created_at"] and result["seconds"] > 0

    kept = exports.stored_exports(ner)
    assert [e.precision for e in kept] == ["fp32"]
    assert kept[0].size_bytes == result["size_bytes"]
    with db.session() as session:
        events, _ = list_events(session, action="model.export")
    assert [(e.target, e.actor) for e in events] == [("ner@1", f"job {job.id}")]


def test_a_refused_export_fails_the_job_with_the_refusal_and_keeps_nothing(db, ner, monkeypatch):
    monkeypatch.setattr(parity, "LOGIT_TOLERANCE", -1.0)  # no export can match now
    with db.session() as session:
        job = export_jobs.queue_export(session, "ner", 1)
    assert run_job(db, Lease.of(claim(db))) == "failed"
    failed = status_of(db, job.id)
    assert "fp32 ONNX logits differ from PyTorch's" in failed.error and failed.result is None
    assert exports.stored_exports(ner) == []
    assert not (ner / exports.EXPORTS).exists() or not any((ner / exports.EXPORTS).iterdir())


def test_bad_exports_are_refused_before_anything_is_queued(db, ner):
    with db.session() as session:
        with pytest.raises(NotFoundError, match="no version 7"):
            export_jobs.queue_export(session, "ner", 7)
        with pytest.raises(ConfigError, match="quantize must be"):
            export_jobs.queue_export(session, "ner", 1, quantize="int4")
        with pytest.raises(NotFoundError, match="no dataset"):
            export_jobs.queue_export(session, "ner", 1, dataset_id="ds_missing")
    with pytest.raises(ConfigError, match=r"unknown export-job fields \['path'\]"):
        export_jobs.check({"version": 1, "path": "/etc"})
    with pytest.raises(ConfigError, match="version must be"):
        export_jobs.check({"version": True})
