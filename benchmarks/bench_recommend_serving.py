"""Recommenders through the server: training as jobs, and p50/p99 of one recommendation call
at 32 concurrent clients on a real ``oi serve`` (one process; the clients in this one;
both on this machine).

    nice -n 10 .venv/bin/python benchmarks/bench_recommend_serving.py
    nice -n 10 .venv/bin/python benchmarks/bench_recommend_serving.py --requests 5 --models itemknn
    nice -n 10 .venv/bin/python benchmarks/bench_recommend_serving.py \
        --models content hybrid --fit-here --hybrid-epochs 1   # no training job

Each model is trained on MovieLens-100K as a job of kind ``recommender``
(``POST /v1/recommenders``: leave-last-out evaluation, then a fit on every interaction,
registered); its ``train_seconds`` is the final fit's, measured in the worker. Then
``--clients`` threads, each with its own ``predict`` key and HTTP connection, each ask
``--requests`` times ``GET /v1/recommenders/{name}/users/{user}/recommendations?k=10``
for seeded random users (5% unknown users: the popular fallback), after a warm-up call
per client. A figure is the client's wall time per call; ``one_client_*`` is the same
with a single client first (the service time without queueing). Results go to
benchmarks/results/recommend_serving.json (``--out`` to change).

``--fit-here`` skips the training job (on a loaded machine the niced worker took 36
minutes for BPR's): each model is fitted in this process on every interaction (no
evaluation fit; hybrid ``--hybrid-epochs``, BPR ``--bpr-epochs``, item vectors from the
cache), saved, and uploaded to the server as a model archive (``POST /v1/models``,
``ml-<kind>`` v1); the server then loads and serves it exactly as a job's version. Its
``train_seconds`` is that fit's, in this process.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import dashboard_site
import httpx
from common import RESULTS_DIR, latency_percentiles, machine
from dashboard_site import serve

from open_interpreter.apps.recommend import load_movielens_100k


def patient_wait(url: str, process, log: Path) -> None:
    """``dashboard_site``'s start-up wait, but for up to 10 minutes: on a shared 2-core
    machine under load a server's imports alone can take longer than its 90 s."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(1)
    raise RuntimeError("oi serve did not start:\n" + log.read_text())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["popular", "itemknn", "bpr", "content", "hybrid"]
    )
    parser.add_argument(
        "--fit-here", action="store_true", help="Fit here and upload, instead of a job."
    )
    parser.add_argument("--bpr-epochs", type=int, default=40, help="With --fit-here.")
    parser.add_argument("--out", type=Path, default=None, help="Where the JSON goes.")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=30, help="Per client and model.")
    parser.add_argument("--hybrid-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=Path.home() / ".open_interpreter" / "cache" / "item-vectors",
        help="Item vectors cached by earlier runs, copied to the server's home (the encoder "
        "then runs only where they are missing).",
    )
    return parser.parse_args()


def train(site, kind: str, hybrid_epochs: int) -> dict:
    """Train ``kind`` on MovieLens-100K as a job; its result once it ends."""
    options = {"epochs": hybrid_epochs} if kind == "hybrid" else {}
    body = {"name": f"ml-{kind}", "model": kind, "data": "movielens-100k", "options": options}
    started = time.perf_counter()
    job = site.client.post("/v1/recommenders", json=body).json()
    while job["status"] in ("queued", "running"):
        time.sleep(1)
        job = site.client.get(f"/v1/fine-tunes/{job['id']}").json()
    if job["status"] != "succeeded":
        raise SystemExit(f"training {kind} failed: {job['error']}")
    result = job["result"]
    return {
        "job_seconds": round(time.perf_counter() - started, 1),
        "train_seconds": round(result["train_seconds"], 2),
        "ndcg@10": round(result["evaluation"]["metrics"]["ndcg@10"], 4),
    }


def fit_and_upload(site, kind: str, args: argparse.Namespace, work: Path) -> dict:
    """Fit ``kind`` on every MovieLens-100K interaction here, upload it as ``ml-<kind>``."""
    import torch

    from open_interpreter.apps.recommend import Recommender
    from open_interpreter.apps.recommend.store import build_model

    torch.set_num_threads(1)  # small models: one thread beats two on a shared machine
    data = load_movielens_100k()
    options = {"hybrid": {"epochs": args.hybrid_epochs}, "bpr": {"epochs": args.bpr_epochs}}
    started = time.perf_counter()
    recommender = Recommender.fit(
        data, model=build_model(kind, data, options.get(kind, {})), seed=args.seed
    )
    path = recommender.save(work / f"ml-{kind}", metrics={"model": kind})
    archive = work / f"ml-{kind}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(path, arcname=path.name)
    with archive.open("rb") as handle:
        answer = site.client.post(
            "/v1/models",
            data={"name": f"ml-{kind}"},
            files={"archive": (archive.name, handle)},
            timeout=600,
        )
    if answer.status_code >= 300:
        raise SystemExit(f"uploading {kind} failed: {answer.status_code} {answer.text[:300]}")
    return {
        "fitted_here": True,
        "fit_and_upload_seconds": round(time.perf_counter() - started, 1),
        "train_seconds": round(recommender.model.train_seconds, 2),
    }


def hammer(site, keys: list[str], name: str, users: list[str], requests: int, seed: int) -> list:
    """``len(keys)`` clients at once, each asking ``requests`` times; every call's ms."""
    timings: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(keys))

    def client(index: int, key: str) -> None:
        rng = random.Random(seed * 1000 + index)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=site.url, headers=headers, timeout=60) as http:
            http.get(f"/v1/recommenders/{name}/users/{users[0]}/recommendations").raise_for_status()
            start.wait()
            mine = []
            for _ in range(requests):
                user = rng.choice(users) if rng.random() > 0.05 else f"new-{rng.random()}"
                began = time.perf_counter()
                answer = http.get(f"/v1/recommenders/{name}/users/{user}/recommendations?k=10")
                mine.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200:
                    with lock:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client, args=(i, k)) for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed calls, e.g. {failures[0]}")
    return timings


def make_keys(database_url: str, count: int) -> list[str]:
    """``count`` new predict keys in the server's database."""
    from open_interpreter.services.api_keys import create_key
    from open_interpreter.storage import Database

    db = Database(database_url, migrate=False)
    try:
        with db.session() as session:
            return [create_key(session, name=f"c{i}", scope="predict")[1] for i in range(count)]
    finally:
        db.dispose()


def main() -> None:
    args = parse_args()
    dashboard_site._wait_for = patient_wait
    users = load_movielens_100k().interactions.users
    results: dict = {
        "machine": machine(),
        "settings": {**vars(args), "vector_cache": "…", "out": None},
        "models": {},
    }
    with tempfile.TemporaryDirectory() as work, serve(Path(work) / "home", workers=1) as site:
        keys = make_keys(site.database_url, args.clients)
        if args.vector_cache.is_dir():
            shutil.copytree(args.vector_cache, site.home / "cache" / "item-vectors")
        for kind in args.models:
            if args.fit_here:
                trained = fit_and_upload(site, kind, args, Path(work))
            else:
                trained = train(site, kind, args.hybrid_epochs)
            alone = hammer(site, keys[:1], f"ml-{kind}", users, args.requests, args.seed)
            calls = hammer(site, keys, f"ml-{kind}", users, args.requests, args.seed)
            one = {f"one_client_{k}": v for k, v in latency_percentiles(alone).items() if k != "n"}
            results["models"][kind] = {**trained, **latency_percentiles(calls), **one}
            print(kind, results["models"][kind], flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS_DIR / "recommend_serving.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
