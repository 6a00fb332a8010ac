"""`oi serve` as a real process: upload, fine-tune to completion, promote, predict."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest

from ..fixtures.data import conll_bytes
from ..fixtures.servers import oi, oi_serve

pytestmark = pytest.mark.slow


@pytest.fixture
def server(db, tmp_path: Path, tiny_bert_dir: Path):
    """A running `oi serve` with one embedded worker on ``db``, an admin key, and the tiny
    BERT in its model store as ``tiny-bert``."""
    home = tmp_path / "home"
    shutil.copytree(tiny_bert_dir, home / "models" / "tiny-bert")
    env = {**os.environ, "OI_HOME": str(home), "OI_DATABASE_URL": db.url}
    admin = oi("keys", "create", "--scope", "admin", "--name", "e2e", env=env)
    with oi_serve("--workers", "1", env=env, log=tmp_path / "serve.log") as base:
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            yield client


def test_upload_fine_tune_promote_predict(server: httpx.Client):
    train = server.post("/v1/datasets", files={"file": ("train.conll", conll_bytes(48, 0))})
    dev = server.post("/v1/datasets", files={"file": ("dev.conll", conll_bytes(16, 1))})
    assert train.status_code == dev.status_code == 201, train.text
    job = server.post(
        "/v1/fine-tunes",
        json={
            "model_name": "tiny-ner",
            "train_dataset_id": train.json()["id"],
            "validation_dataset_id": dev.json()["id"],
            "config": {
                "model": "tiny-bert",
                "epochs": 6,
                "learning_rate": 5e-3,
                "batch_size": 8,
                "warmup_ratio": 0,
            },
        },
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]

    events = []
    with server.stream("GET", f"/v1/fine-tunes/{job_id}/events", timeout=180) as stream:
        kind = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if kind == "end":
                    break
    assert events[-1] == ("end", {"status": "succeeded"}), events[-5:]
    assert any(kind == "step" and "loss" in data for kind, data in events)
    assert any(kind == "evaluation" for kind, _ in events)

    finished = server.get(f"/v1/fine-tunes/{job_id}").json()
    assert finished["status"] == "succeeded" and finished["model_version_id"]
    model = server.get("/v1/models/tiny-ner").json()
    (version,) = model["versions"]
    assert version["job_id"] == job_id and version["lineage"]
    server.post("/v1/models/tiny-ner/promote", json={"version": 1}).raise_for_status()
    response = server.post(
        "/v1/models/tiny-ner/predict",
        json={"texts": ["Mary visited Berlin", "john works at acme corp"]},
    )
    assert response.status_code == 200, response.text
    entities = response.json()["predictions"][0]["entities"]
    assert [(e["type"], e["text"]) for e in entities] == [("PER", "Mary"), ("LOC", "Berlin")]
