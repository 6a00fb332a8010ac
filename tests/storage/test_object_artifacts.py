"""Artifacts on S3-compatible object storage (a local moto server): two machines — two
``OI_HOME`` folders, each with its own artifact cache — share one SQLite database and one
bucket. What one registers, exports or uploads, the other opens by name; a reader never
sees half an artifact; a removal reaches the bucket; a bad setting is one clear error."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_interpreter.errors import ArtifactStoreError, ConfigError
from open_interpreter.inference import predict
from open_interpreter.services import datasets, exports, job_runner, jobs, registry
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.models import find_model, open_model
from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.object_store import MANIFEST, ObjectStore
from open_interpreter.storage.tables import ModelVersion

from ..services.records import claim, fake_saved_model, make_job

pytest.importorskip("s3fs", reason="object storage needs `pip install -e .[s3]`")
moto_server = pytest.importorskip("moto.server", reason="the S3 tests need moto[server]")

TOKENS = [["john", "visited", "paris", "."], ["mary", "lives", "in", "berlin"]]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) on a free port, for this module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One SQLite database file both machines use."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'oi.db'}")
    yield database
    database.dispose()


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> ObjectStore:
    """A fresh bucket, named by ``OI_ARTIFACTS_URL``; returns a handle on it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"oi-{secrets.token_hex(4)}"
    store = ObjectStore(f"s3://{name}/artifacts", endpoint_url=endpoint)
    store.fs.mkdir(name)
    monkeypatch.setenv("OI_ARTIFACTS_URL", f"s3://{name}/artifacts")
    monkeypatch.setenv("OI_S3_ENDPOINT_URL", endpoint)
    return store


@pytest.fixture
def machines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bucket: ObjectStore):
    """``on("a")`` / ``on("b")``: switch to that machine's ``OI_HOME`` (own artifact cache)."""
    monkeypatch.delenv("OI_ARTIFACTS", raising=False)

    def on(machine: str) -> Path:
        monkeypatch.setenv("OI_HOME", str(tmp_path / f"machine-{machine}"))
        return artifacts.artifacts_dir()

    return on


def keys(store: ObjectStore, relative: str = "") -> list[str]:
    prefix = store._key(relative).rstrip("/")
    return [k[len(store.root) + 1 :] for k in store.fs.find(prefix)]


def test_a_model_registered_on_one_machine_opens_by_name_on_another(
    machines, bucket, shared_db, tiny_ner_model_dir
):
    machines("a")
    with shared_db.session() as session:
        row = registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
        expected = predict(open_model(find_model("ner", session=session)), TOKENS)
    assert f"{row.path}/{MANIFEST}" in keys(bucket, row.path)

    cache_b = machines("b")
    assert not (cache_b / row.path).exists()
    with shared_db.session() as session:
        source = find_model("ner", session=session)
        assert source.path == cache_b / row.path and source.saved
        assert predict(open_model(source), TOKENS) == expected
    assert not [p for p in (cache_b / "models" / "ner").iterdir() if p.name.startswith(".")]


def test_an_export_and_a_dataset_made_on_one_machine_are_read_on_another(
    machines, shared_db, tiny_ner_model_dir
):
    machines("a")
    with shared_db.session() as session:
        registry.register_directory(session, model_name="exported", path=tiny_ner_model_dir)
        version_dir = find_model("exported", session=session).path
        machines("b")
        assert find_model("exported", session=session).path.is_dir()  # cached before the export
        machines("a")
        made = exports.export_version(session, "exported", 1, parity_texts=["john visited paris"])
        stored = datasets.store_upload(
            session, name="tiny", filename="t.jsonl", declared_format=None,
            data=b'{"text": "good", "label": "pos"}\n{"text": "bad", "label": "neg"}\n',
        )  # fmt: skip
    assert made.path.is_relative_to(version_dir)

    machines("b")
    with shared_db.session() as session:
        on_b = exports.preferred_export(find_model("exported", session=session).path)
        dataset = datasets.get_dataset(session, stored.id)
        assert on_b is not None and on_b.card == made.card
        assert datasets.load_examples(dataset).texts == ["good", "bad"]


def test_an_upload_cut_before_its_manifest_is_absent(machines, bucket, monkeypatch):
    cache_a = machines("a")
    (cache_a / "reports" / "r1").mkdir(parents=True)
    (cache_a / "reports" / "r1" / "part.txt").write_text("half")

    def cut(*_args, **_kwargs):
        raise ConnectionResetError("the store went away")

    store = artifacts.remote()
    monkeypatch.setattr(store.fs, "pipe_file", cut)  # the bytes go up, the manifest never
    with pytest.raises(ArtifactStoreError, match="reports/r1") as error:
        artifacts.publish("reports/r1")
    assert "Traceback" not in str(error.value) and "127.0.0.1" not in str(error.value)
    assert any("part.txt" in key for key in keys(bucket, "reports/r1"))

    cache_b = machines("b")
    assert not artifacts.resolve("reports/r1").exists()
    assert not (cache_b / "reports").exists() or not list((cache_b / "reports").iterdir())
    assert bucket.sweep("reports") == []  # a day must pass: its writer may still be at work
    assert [r.split("/.oi-data-")[0] for r in bucket.sweep("reports", stale_after_s=0)] == [
        "reports/r1"
    ]
    assert keys(bucket, "reports") == []


def test_a_reader_during_an_upload_sees_the_old_artifact_or_the_new_never_a_mix(
    machines, bucket, monkeypatch, tmp_path
):
    def folder(tag: str) -> Path:
        path = tmp_path / tag
        path.mkdir()
        for i in range(3):
            (path / f"f{i}.txt").write_text(f"{tag} {i}")
        return path

    seen: list[dict[str, str] | None] = []

    def read() -> dict[str, str] | None:
        into = tmp_path / f"read-{len(seen)}"
        if not bucket.download("runs/x", into):
            return None
        return {p.name: p.read_text() for p in into.iterdir()}

    real_pipe = bucket.fs.pipe_file

    def pipe_after_a_read(path, data, **kwargs):
        seen.append(read())  # every byte is up, the manifest is not
        return real_pipe(path, data, **kwargs)

    monkeypatch.setattr(bucket.fs, "pipe_file", pipe_after_a_read)
    bucket.upload(folder("old"), "runs/x")
    seen.append(read())
    bucket.upload(folder("new"), "runs/x")
    seen.append(read())
    old = {f"f{i}.txt": f"old {i}" for i in range(3)}
    new = {f"f{i}.txt": f"new {i}" for i in range(3)}
    assert seen == [None, old, old, new]
    data_folders = {k.split("/")[2] for k in keys(bucket, "runs/x") if "/.oi-data-" in k}
    assert len(data_folders) == 1  # the replaced generation is gone
    assert bucket.sweep("runs", stale_after_s=0) == []  # the current one is kept


def test_readers_beside_a_writer_in_other_threads_see_absent_or_one_whole_upload(bucket, tmp_path):
    writes = []
    for n in range(4):
        folder = tmp_path / f"w{n}"
        folder.mkdir()
        for i in range(4):
            (folder / f"f{i}.txt").write_text(f"write {n}")
        writes.append(folder)
    done = threading.Event()
    seen: list[tuple[int, set[str]]] = []  # (files, their contents) per read; (0, {}) absent

    def write_all() -> None:
        try:
            for folder in writes:
                bucket.upload(folder, "runs/busy")
        finally:
            done.set()

    writer = threading.Thread(target=write_all)
    writer.start()
    while not done.is_set() or not seen:
        into = tmp_path / f"read-{len(seen)}"
        found = list(into.iterdir()) if bucket.download("runs/busy", into) else []
        seen.append((len(found), {p.read_text() for p in found}))
    writer.join()
    assert all(files in (0, 4) and len(contents) == files // 4 for files, contents in seen), seen
    assert {p.read_text() for p in artifacts_of(bucket, "runs/busy", tmp_path)} == {"write 3"}


def artifacts_of(store: ObjectStore, relative: str, tmp_path: Path) -> list[Path]:
    into = tmp_path / f"final-{secrets.token_hex(2)}"
    assert store.download(relative, into)
    return list(into.iterdir())


def test_a_job_runs_on_another_machine_than_its_dataset_and_its_run_is_uploaded(
    machines, bucket, shared_db, monkeypatch
):
    machines("a")
    make_job(shared_db)  # its dataset is uploaded here, on machine a
    lease = Lease.of(claim(shared_db))
    read: list = []

    def fake_training(_db, _lease, _config, rows, run_dir, _reporter=None):
        read.append(datasets.load_examples(rows["train"]))
        fake_saved_model(run_dir)
        (run_dir / "checkpoints" / "step-2").mkdir(parents=True)
        (run_dir / "checkpoints" / "step-2" / "state.pt").write_bytes(b"state")

    cache_b = machines("b")
    monkeypatch.setattr(job_runner, "_fine_tune", fake_training)
    assert job_runner.run_job(shared_db, lease) == "succeeded"
    assert read and len(read[0]) > 0
    assert (cache_b / "datasets").is_dir()

    cache_c = machines("c")
    with shared_db.session() as session:
        version = session.get(ModelVersion, jobs.get_job(session, lease.job_id).model_version_id)
    assert (artifacts.resolve(version.path) / "oi_model.json").is_file()
    run = artifacts.resolve(f"jobs/{lease.job_id}/run")
    assert (run / "checkpoints" / "step-2" / "state.pt").read_bytes() == b"state"
    assert run.is_relative_to(cache_c)


def test_removing_deletes_from_the_bucket(machines, bucket, shared_db, tiny_ner_model_dir):
    machines("a")
    with shared_db.session() as session:
        registry.register_directory(session, model_name="gone", path=tiny_ner_model_dir)
        assert keys(bucket, "models/gone")
        registry.delete_model(session, "gone")
    assert keys(bucket, "models/gone") == []
    machines("b")
    assert not artifacts.resolve("models/gone/v1").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [("s3://", "must name a bucket"), ("nope://bucket/x", "cannot be used"), ("bucket", "URL")],
)
def test_a_malformed_url_is_a_config_error(monkeypatch, url, message):
    monkeypatch.setenv("OI_ARTIFACTS_URL", url)
    with pytest.raises(ConfigError, match=message):
        artifacts.resolve("datasets/ds_missing.jsonl")


def test_an_unreachable_store_or_a_missing_bucket_is_one_clear_error(monkeypatch, endpoint, bucket):
    monkeypatch.setenv("OI_ARTIFACTS_URL", f"s3://no-such-{secrets.token_hex(4)}/x")
    with pytest.raises(ArtifactStoreError, match="no bucket"):
        artifacts.resolve("datasets/ds_missing.jsonl")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("OI_S3_ENDPOINT_URL", f"http://127.0.0.1:{closed}")
    with pytest.raises(ArtifactStoreError, match="EndpointConnectionError") as error:
        artifacts.resolve("datasets/ds_missing.jsonl")
    assert "127.0.0.1" not in str(error.value)
