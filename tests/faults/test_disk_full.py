"""The disk fills up while a job saves its model, on PostgreSQL: the job fails saying so,
nothing half-written is left, and the version registered before is untouched and still
served. "Full" is the worker's file-size limit (``RLIMIT_FSIZE``): any file past 32 KB
fails with ``EFBIG``, so the tiny model's weights (about 84 KB) cannot be written."""

from __future__ import annotations

import hashlib
import sys

import pytest

from open_interpreter.services import registry

from ..fixtures.api import key, make_client
from ..services.records import make_job, status_of
from .processes import Oi, leftovers, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.skipif(sys.platform != "linux", reason="limits file sizes with setrlimit"),
]

FULL_AT_BYTES = 32_000


def test_a_full_disk_fails_the_job_clearly_and_keeps_the_served_version(
    db, tiny_bert_name, tiny_ner_model_dir, tmp_path
):
    with db.session() as session:
        before = registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
    kept = _digests(before.path)
    config = {"model": tiny_bert_name, "max_steps": 4, "batch_size": 2, "num_threads": 1}
    job = make_job(db, config)

    worker_args = ("worker", "--database-url", db.url, "--once", "--poll-interval", "0.1")
    with Oi.start(
        *worker_args, log=tmp_path / "worker.log", max_file_bytes=FULL_AT_BYTES
    ) as worker:
        wait_for(lambda: worker.process.poll() is not None, 120, "the worker to run the job")
    failed = status_of(db, job.id)
    assert failed.status == "failed", worker.output()
    assert failed.error.startswith("no space left to save the model to "), failed.error
    assert "File too large" in failed.error  # what the system said, passed on

    with db.session() as session:
        assert [v.version for v in registry.list_versions(session, "ner")] == [1]
    assert _digests(before.path) == kept
    assert leftovers() == []
    with make_client(db) as client:
        answer = client.post(
            "/v1/models/ner/predict",
            headers=key(db, "predict"),
            json={"texts": [["john", "visited", "paris"]]},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 1


def _digests(relative: str) -> dict[str, str]:
    from open_interpreter.storage import artifacts

    folder = artifacts.resolve(relative)
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
