"""What the load benchmark runs against: ``oi serve`` with one worker and API keys on, its
database, one key per client, the models it serves, the job it trains, what the clients
send, and a watch on the server's memory (``bench_load.py``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_serving import HOST, Server, free_port
from common import executable

CLASSIFIER, UPLOADED, JOB_MODEL = "bench-classifier", "bench-uploads", "bench-job"
ROUTES = {
    "predict": ("POST", f"/v1/models/{CLASSIFIER}/predict"),
    "generate": ("POST", "/v1/generate"),
    "list models": ("GET", "/v1/models"),
    "list datasets": ("GET", "/v1/datasets"),
    "list fine-tunes": ("GET", "/v1/fine-tunes"),
    "upload dataset": ("POST", "/v1/datasets"),
    "upload model": ("POST", "/v1/models"),
}
"""Each kind of call the clients make: its method and path."""
ADMIN_EVERY = 8  # every 8th client has an admin key (it uploads models); the others train
MAX_NEW_TOKENS = 8
UPLOAD_ROWS = 20
JOB_EXAMPLES = 400
SETUP_TIMEOUT_S = 300.0


@dataclass
class Workload:
    """What the clients send: texts to classify, CSV uploads, the model archive."""

    tweets: list[str]
    labels: list[str]
    archive: bytes
    generator: str

    def request(self, action: str, rng: random.Random) -> dict[str, Any]:
        """``httpx`` keyword arguments of one ``action``."""
        if action == "predict":
            return {"json": {"texts": [rng.choice(self.tweets)]}}
        if action == "generate":
            prompt = f"Answer in a few words: {rng.choice(self.tweets)}"
            body = {"model": self.generator, "prompt": prompt, "max_new_tokens": MAX_NEW_TOKENS}
            return {"json": body}
        if action == "upload dataset":
            rows = rng.sample(range(len(self.tweets)), UPLOAD_ROWS)
            return {"files": {"file": ("tweets.csv", self.csv(rows))}}
        if action == "upload model":
            return {"data": {"name": UPLOADED}, "files": {"archive": ("m.tar.gz", self.archive)}}
        return {"params": {"limit": 50}}

    def csv(self, rows: list[int]) -> bytes:
        """The tweets at ``rows`` as a CSV file with ``text`` and ``label`` columns."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows((self.tweets[i], self.labels[i]) for i in rows)
        return out.getvalue().encode()


def read_tweets(seed: int) -> tuple[list[str], list[str]]:
    """2,000 seeded tweets of the packaged ``tweet-sentiment`` data, with their labels."""
    from open_interpreter.data.packaged import load_packaged

    examples = load_packaged("tweet-sentiment")
    rows = random.Random(seed).sample(range(len(examples)), 2000)
    return [examples.texts[i] for i in rows], [str(examples.labels[i]) for i in rows]


def in_store(name: str) -> str:
    """The name the server knows ``name`` by: a directory is copied into the run's model
    store first (API clients name models, never server paths)."""
    from open_interpreter.paths import model_store

    path = Path(name)
    if not path.is_dir():
        return name
    shutil.copytree(path, model_store() / path.name, dirs_exist_ok=True)
    return path.name


def fine_tune_classifier(
    encoder: str, work: Workload, out_dir: Path, *, size: int, seed: int
) -> Path:
    """A LoRA sentiment classifier on ``encoder``, one epoch over ``size`` tweets; its dir."""
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter(encoder)
    interpreter.fine_tune(
        train_data=work.tweets[:size],
        train_labels=work.labels[:size],
        epochs=1,
        batch_size=16,
        learning_rate=1e-3,
        max_length=64,
        peft={"method": "lora", "r": 8, "alpha": 16},
        seed=seed,
        progress=False,
    )
    return interpreter.save(out_dir)


@contextmanager
def benchmark_database(server_url: str | None, home: Path) -> Iterator[str]:
    """SQLite in ``OI_HOME``, or a fresh database on the PostgreSQL server ``server_url``
    (so the run disturbs no other database there), dropped afterwards."""
    if not server_url:
        yield f"sqlite:///{home / 'oi.db'}"
        return
    import secrets

    from sqlalchemy import create_engine, make_url, text

    name = f"oi_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_keys(url: str, clients: int) -> tuple[str, list[tuple[str, str]]]:
    """An admin key for setting up, and one key per client: ``(scope, key)``."""
    from open_interpreter.services.api_keys import create_key
    from open_interpreter.storage import Database

    db = Database(url)  # migrated here, before the server starts
    try:
        with db.session() as session:
            _, setup = create_key(session, name="bench-setup", scope="admin")
            keys = []
            for index in range(clients):
                scope = "admin" if index % ADMIN_EVERY == 0 else "train"
                keys.append((scope, create_key(session, name=f"client-{index}", scope=scope)[1]))
    finally:
        db.dispose()
    return setup, keys


def start_server(url: str, logs: Path) -> Server:
    """``oi serve`` with one embedded worker and API keys on, on ``url``'s database."""
    port = free_port()
    command = [executable("oi"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", "1", "--database-url", url]
    env = {k: v for k, v in os.environ.items() if k != "OI_DATABASE_URL"}
    log = logs / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    return Server("oi serve", f"{base}{ROUTES['predict'][1]}", f"{base}/health", process, log)


def set_up(http: Any, work: Workload, encoder: str, classifier: Path) -> str:
    """Register the classifier, queue the job, warm both models up; the job's id."""
    archive = {"archive": ("classifier.tar.gz", tar_gz(classifier))}
    _ok(http.post("/v1/models", data={"name": CLASSIFIER}, files=archive))
    _ok(http.post(f"/v1/models/{CLASSIFIER}/promote", json={"version": 1}))
    train = work.csv(list(range(len(work.tweets) - JOB_EXAMPLES, len(work.tweets))))
    dataset = _ok(http.post("/v1/datasets", files={"file": ("job.csv", train)}))
    config = {"model": encoder, "epochs": 1000, "batch_size": 8, "max_length": 64}
    body = {"model_name": JOB_MODEL, "train_dataset_id": dataset["id"], "config": config}
    job = _ok(http.post("/v1/fine-tunes", json=body))
    rng = random.Random(0)
    for action in ("predict", "generate"):  # the first call of each loads its model
        _ok(http.request(*ROUTES[action], **work.request(action, rng)))
    return job["id"]


def wait_until_training(http: Any, job_id: str) -> dict[str, Any]:
    """The job once its worker has trained a step; exits if it ends or never starts."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    while time.monotonic() < deadline:
        job = _ok(http.get(f"/v1/fine-tunes/{job_id}"))
        if job["status"] in ("succeeded", "failed", "cancelled"):
            sys.exit(f"the fine-tune job ended before the load: {job['status']} {job['error']}")
        if job["status"] == "running" and job["progress"].get("step"):
            return job
        time.sleep(1.0)
    sys.exit(f"the fine-tune job did not start training in {SETUP_TIMEOUT_S:.0f} s")


def cancel(http: Any, job_id: str) -> dict[str, Any]:
    """Cancel the job and wait for its worker to stop it; the job as it ended."""
    _ok(http.post(f"/v1/fine-tunes/{job_id}/cancel"))
    for _ in range(120):
        job = _ok(http.get(f"/v1/fine-tunes/{job_id}"))
        if job["status"] == "cancelled":
            return job
        time.sleep(0.5)
    return job


class MemoryWatch:
    """Samples the server's RSS (and its children's: the job) every 0.2 s in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.process = psutil.Process(pid)
        self.peak = self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        """The server process's resident memory now, in bytes."""
        return self.process.memory_info().rss

    def children_rss(self) -> int:
        """Its child processes' resident memory now (the fine-tune job), in bytes."""
        import psutil

        total = 0
        for child in self.process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.rss())
            self.peak_children = max(self.peak_children, self.children_rss())


def tar_gz(directory: Path) -> bytes:
    """A saved model directory as a .tar.gz archive, as a client uploads it."""
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(directory, arcname=directory.name)
    return buffer.getvalue()


def _ok(response: Any) -> Any:
    if response.status_code >= 300:
        sys.exit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()
