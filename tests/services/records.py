"""What the service tests start from: an uploaded dataset, a queued or claimed job, a
directory shaped like a saved model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from open_interpreter.services import job_queue, jobs
from open_interpreter.services.datasets import store_upload
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob

from ..fixtures.data import conll_bytes


def upload(db: Database, n: int = 12, seed: int = 0) -> str:
    """Store a tiny CoNLL dataset; returns its id."""
    with db.session() as session:
        row = store_upload(
            session,
            name="tiny",
            filename="tiny.conll",
            data=conll_bytes(n, seed),
            declared_format=None,
        )
        return row.id


def make_job(db: Database, config: dict[str, Any] | None = None, **datasets: str) -> FineTuneJob:
    """Queue a job on a fresh tiny dataset (or the given ones)."""
    datasets.setdefault("train_dataset_id", upload(db))
    with db.session() as session:
        return jobs.create_job(session, model_name="ner", config=config or {}, **datasets)


def claim(db: Database, worker_id: str = "w1") -> FineTuneJob | None:
    """The oldest queued job, claimed by ``worker_id`` (None when nothing is queued)."""
    with db.session() as session:
        return job_queue.claim_job(session, worker_id=worker_id)


def status_of(db: Database, job_id: str) -> FineTuneJob:
    """The job as the database holds it now."""
    with db.session() as session:
        return jobs.get_job(session, job_id)


def fake_saved_model(path: Path, *, task: str = "token-classification", tag: str = "a") -> Path:
    """A directory shaped like ``interpreter.save`` output (the weights are a stand-in)."""
    path.mkdir(parents=True)
    manifest = {"task": task, "base_model": "tiny-bert", "labels": ["O", "B-PER"]}
    (path / "oi_model.json").write_text(json.dumps(manifest))
    (path / "training_config.json").write_text(json.dumps({"epochs": 2}))
    metrics = {
        "steps": 10,
        "evaluations": [{"epoch": 1, "metrics": {"accuracy": 0.5}}],
        "reports": {
            "test": {
                "accuracy": 0.75,
                "macro_f1": 0.5,
                "loss": 0.4,
                "entities": {"micro avg": {"f1": 0.6}},
            }
        },
    }
    (path / "metrics.json").write_text(json.dumps(metrics))
    (path / "model.safetensors").write_text(f"weights {tag}")
    return path
