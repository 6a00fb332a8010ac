"""The dashboard as ``bench_dashboard.py`` measures it: a real ``oi serve`` over a database
holding a team's history of runs, headless Debian Chromium's settings, and the pages timed.

The dashboard's browser tests start their server and insert their runs with these same
functions (``tests/dashboard/browser/site.py``); nothing here imports the tests.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from open_interpreter.config import FineTuneConfig
from open_interpreter.storage import Database
from open_interpreter.storage.tables import Dataset, FineTuneJob, utcnow

# Debian's Chromium (installed by `make setup`), headless, with nothing reaching out.
CHROMIUM = os.environ.get("OI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# Every page the benchmark times; each sets the mark `oi:first-content` once its data from
# the API is on screen.
FIRST_CONTENT = "performance.getEntriesByName('oi:first-content').length > 0"
PAGES = [
    "/",
    "/runs/ft_hist000000000000",
    "/compare?ids=ft_hist000000000000,ft_hist000000000001",
    "/models",
    "/evaluation",
    "/resources",
    "/playground",
    "/prompt-lab",
]


@dataclass
class Site:
    """A running server: its address, an admin key and an HTTP client carrying the key."""

    url: str
    key: str
    home: Path
    database_url: str
    client: httpx.Client


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path, database_url: str) -> dict[str, str]:
    """The environment of a server process isolated under ``home``, offline."""
    return {
        **os.environ,
        "OI_HOME": str(home),
        "OI_DATABASE_URL": database_url,
        "HF_HOME": str(home / "hf"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


@contextmanager
def serve(home: Path, *, workers: int = 1, auth: bool = True) -> Iterator[Site]:
    """Start ``oi serve`` on a free port with its own SQLite database under ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{home / 'oi.db'}"
    Database(database_url).dispose()  # migrate now, so runs can be inserted before the start
    env = server_env(home, database_url)
    key = ""
    if auth:
        command = [sys.executable, "-m", "open_interpreter.cli", "keys", "create"]
        key = subprocess.run(
            [*command, "--scope", "admin", "--name", "dashboard"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    log = open(home / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "open_interpreter.cli", *args, *([] if auth else ["--no-auth"])],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        _wait_for(url, process, home / "serve.log")
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            yield Site(url=url, key=key, home=home, database_url=database_url, client=client)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError("oi serve did not start:\n" + log.read_text())


def insert_runs(database_url: str, count: int, *, seed: int = 0) -> list[str]:
    """Insert ``count`` finished fine-tune jobs (and the dataset they name) directly.

    They look like a team's history: several models and base models, mostly succeeded,
    some failed or cancelled, with progress, best metrics and durations.

    Returns:
        The job ids.
    """
    rng = random.Random(seed)
    now = utcnow()
    db = Database(database_url, migrate=False)
    ids = []
    with db.session() as session:
        dataset = Dataset(
            id="ds_history0000000",
            name="support-tickets",
            format="csv",
            shape="texts",
            num_examples=2400,
            labels=["billing", "bug", "feature", "other"],
            sha256="0" * 64,
            size_bytes=180_000,
            path="datasets/none.csv",
            preview=[],
            created_at=now - timedelta(days=30),
        )
        session.add(dataset)
        for i in range(count):
            ids.append(f"ft_hist{i:012d}")
            session.add(_history_job(rng, ids[-1], dataset.id, now - timedelta(hours=6 * i + 1)))
        session.commit()
    db.dispose()
    return ids


def _history_job(rng: random.Random, job_id: str, dataset_id: str, created) -> FineTuneJob:
    status = rng.choices(["succeeded", "failed", "cancelled"], weights=[8, 1, 1])[0]
    base = rng.choice(["minilm-l6", "bert-base-cased", "distilroberta-base"])
    config = FineTuneConfig(
        model=base,
        learning_rate=rng.choice([2e-5, 3e-5, 5e-5]),
        epochs=rng.choice([2, 3, 4]),
        batch_size=rng.choice([16, 32]),
    ).model_dump(mode="json")
    total = 150 * int(config["epochs"])
    step = total if status == "succeeded" else rng.randrange(10, total)
    accuracy = round(rng.uniform(0.78, 0.93), 4)
    minutes = rng.uniform(3, 40) * step / total
    return FineTuneJob(
        id=job_id,
        status=status,
        model_name=rng.choice(["support-intents", "ticket-triage", "churn-signals"]),
        config=config,
        train_dataset_id=dataset_id,
        created_at=created,
        started_at=created + timedelta(seconds=20),
        finished_at=created + timedelta(seconds=20, minutes=minutes),
        worker_id="worker-history",
        attempts=1,
        progress={
            "step": step,
            "total_steps": total,
            "loss": round(rng.uniform(0.15, 0.6), 4),
            "best_metric": {"name": "accuracy", "value": accuracy, "epoch": 2, "step": step},
        },
        error="CUDA out of memory" if status == "failed" else None,
    )
