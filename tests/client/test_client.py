"""``open_interpreter.client`` against the real app (its TestClient as the transport) on
both databases: datasets, a fine-tune followed to its end by a real worker, the registry,
predictions, generation and typed errors."""

from __future__ import annotations

import shutil
import threading

import pytest

from open_interpreter.client import (
    AuthenticationError,
    BadRequestError,
    Client,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from open_interpreter.services import job_queue, registry
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import run_job
from open_interpreter.storage import artifacts

from ..fixtures.api import key
from ..fixtures.data import conll_bytes

TINY = {"learning_rate": 5e-3, "batch_size": 2, "warmup_ratio": 0.0, "num_threads": 1}


def connect(client, db, scope: str = "admin") -> Client:
    """A :class:`Client` on the app with a new key of ``scope``."""
    secret = key(db, scope)["Authorization"].removeprefix("Bearer ")
    return Client(api_key=secret, http_client=client)


def test_a_fine_tune_from_upload_to_prediction(client, db, tmp_path, tiny_bert_name, capsys):
    oi = connect(client, db)
    train = tmp_path / "train.conll"
    train.write_bytes(conll_bytes(12, 0))
    dataset = oi.datasets.upload(train, name="tiny")
    assert dataset["num_examples"] == 12 and dataset["shape"] == "tokens"
    assert [d["id"] for d in oi.datasets.list()["data"]] == [dataset["id"]]
    job = oi.fine_tunes.create("ner", dataset["id"], config={"model": tiny_bert_name, **TINY})
    assert oi.fine_tunes.get(job["id"])["status"] == "queued"
    with db.session() as session:  # a worker's claim; the job then runs in this process
        lease = Lease.of(job_queue.claim_job(session, worker_id="solo"))
    runner = threading.Thread(target=run_job, args=(db, lease))
    runner.start()
    seen = []
    try:
        done = oi.fine_tunes.wait(job["id"], progress=seen.append, timeout=120)
    finally:
        runner.join()
    assert done["status"] == "succeeded" and done["model_version_id"] is not None
    steps = [e.data for e in seen if e.type == "step"]
    assert steps and steps[-1]["step"] == steps[-1]["total_steps"] == done["progress"]["step"]
    assert [e.id for e in seen] == sorted(e.id for e in seen)  # in order, none twice
    oi.fine_tunes.wait(job["id"], progress=True)  # a finished job replays its events
    printed = capsys.readouterr().err
    assert f"step {steps[-1]['step']}/{steps[-1]['total_steps']} loss" in printed
    assert "status succeeded" in printed
    assert [m["name"] for m in oi.models.list()["data"]] == ["ner"]
    oi.models.promote("ner", 1)
    answer = oi.predict("ner", [["Ada", "lives", "in", "Paris"]])
    assert answer["version"] == 1 and len(answer["predictions"]) == 1
    # the model the job saved, uploaded again as a new version
    with db.session() as session:
        saved = artifacts.resolve(registry.get_version(session, "ner", 1).path)
    assert oi.models.register("ner", saved)["version"] == 2
    oi.models.promote("ner", 2)
    assert oi.predict("ner", "Ada lives in Paris")["version"] == 2
    assert oi.models.rollback("ner")["version"] == 1
    assert [v["stage"] for v in oi.models.versions("ner")] == ["production", "archived"]


def test_a_cancelled_job_fails_its_wait(client, db, tmp_path):
    oi = connect(client, db, "train")
    train = tmp_path / "train.conll"
    train.write_bytes(conll_bytes(4, 0))
    job = oi.fine_tunes.create("ner", oi.datasets.upload(train)["id"])
    assert oi.fine_tunes.cancel(job["id"])["status"] == "cancelled"
    with pytest.raises(JobFailedError) as failed:
        oi.fine_tunes.wait(job["id"])
    assert failed.value.job["status"] == "cancelled"
    assert [j["id"] for j in oi.fine_tunes.list(status="cancelled")["data"]] == [job["id"]]


def test_problems_are_typed_errors(client, db, tmp_path):
    oi = connect(client, db, "train")
    with pytest.raises(NotFoundError) as missing:
        oi.fine_tunes.get("ft_nosuchjob")
    assert missing.value.status == 404 and missing.value.code == "not_found"
    bad = tmp_path / "bad.conll"
    bad.write_text("Ada B-PER\nlives\n")
    with pytest.raises(BadRequestError) as malformed:
        oi.datasets.upload(bad)
    assert "bad.conll:2:" in malformed.value.detail  # the line
    with pytest.raises(ValidationError) as invalid:
        oi.fine_tunes.create("bad name!", "ds_x")
    assert invalid.value.body["errors"][0]["field"] == "model_name"
    with pytest.raises(PermissionDeniedError):
        connect(client, db, "predict").datasets.list()
    with pytest.raises(AuthenticationError):
        Client(api_key="oi_wrong", http_client=client).datasets.list()


def test_generation_plain_and_streamed(client, db, tiny_llama_dir, isolated_home):
    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    oi = connect(client, db, "predict")
    answer = oi.generate("tiny-llama", "what colour is the sky?", max_new_tokens=5)
    assert answer["finish_reason"] == "length" and answer["usage"]["completion_tokens"] == 5
    pieces = list(
        oi.generate("tiny-llama", "what colour is the sky?", max_new_tokens=5, stream=True)
    )
    assert len(pieces) > 1 and "".join(pieces).strip() == answer["text"].strip()
    chat = oi.generate("tiny-llama", messages=[{"role": "user", "content": "hi"}], max_new_tokens=2)
    assert chat["usage"]["completion_tokens"] == 2
