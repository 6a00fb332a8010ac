"""The monitor through the server: documents/s through ``POST /v1/monitors/{id}/documents``
on a real ``oi serve``, and the delay from a ``POST`` to its alert — in the answer, and at
a webhook (delivered by the server's background worker) — at that rate.

    nice -n 10 .venv/bin/python benchmarks/bench_monitor_server.py
    nice -n 10 .venv/bin/python benchmarks/bench_monitor_server.py --docs 300   # smoke

The stream: ``--docs`` documents ``"<Company>: <snippet>"`` about 10 companies (unique BBC
snippets: headline and two sentences), ``--rate`` a minute of stream time; in ``--events``
events one company's documents are, for 4 hours from a known onset, replaced with
probability 0.6 by BBC sentences the dictionary calls negative. The monitor: 120-minute
windows every 30, a threshold rule (share negative above 0.6, at least 5 documents) and
ADWIN (delta 0.2), cool-down 6 hours, one webhook (a local receiver in this process). The
client sends batches of ``--batch`` back to back (so the server works at its analysis
throughput) and notes when each ``POST`` left and its answer came; the receiver notes when
each alert arrived. A first batch to another monitor warms the server up (loads the
dictionary and river) and is not timed.

``--sentiment model`` uses the monitor's fine-tuned classifiers (they must be trained and
cached in ``$OI_HOME`` first: ``benchmarks/bench_monitor.py`` does); the default,
``lexicon``, is the Loughran–McDonald dictionary, so the figures are the server's,
database's, windows', rules' and delivery's share of the delay, not the models'.

Results go to benchmarks/results/monitor_server.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import RESULTS_DIR, machine
from dashboard_site import serve

from open_interpreter.apps.monitor import AliasTable, EntityFinder, LexiconAnalyzer
from open_interpreter.apps.monitor.lexicon import split_sentences
from open_interpreter.services.webhooks import ALLOW_PRIVATE

# The benchmark's webhook receiver listens on 127.0.0.1, which a server refuses unless
# told its receivers may be private (the servers it starts inherit this).
os.environ.setdefault(ALLOW_PRIVATE, "1")

COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
COMPANIES += ["Stark", "Wayne", "Wonka", "Cyberdyne", "Soylent"]
START = datetime(2024, 1, 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rate", type=float, default=2.0, help="Documents a stream minute.")
    parser.add_argument("--events", type=int, default=4)
    parser.add_argument("--sentiment", choices=["lexicon", "model"], default="lexicon")
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args()


def texts(seed: int) -> tuple[list[str], list[str]]:
    """Unique BBC snippets, and BBC sentences the dictionary calls negative."""
    from open_interpreter.data.packaged import bbc_news

    articles = list(bbc_news().texts)
    random.Random(seed).shuffle(articles)
    snippets, sentences = [], []
    for article in articles:
        headline, _, body = article.partition("\n")
        parts = split_sentences(body)
        snippets.append(" ".join([headline.strip() + ".", *parts[:2]]))
        sentences += parts[2:6]
    lexicon = LexiconAnalyzer(EntityFinder(AliasTable({})))
    negative = [s for s, a in zip(sentences, lexicon.analyse(sentences), strict=True) if a.negative]
    return snippets, negative


def stream(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[tuple[str, datetime]]]:
    snippets, negative = texts(args.seed)
    rng = random.Random(args.seed)
    span = timedelta(minutes=args.docs / args.rate)
    onsets = [
        (COMPANIES[k], START + span * (k + 0.5) / (args.events + 0.5)) for k in range(args.events)
    ]
    documents, minute = [], 0.0
    for i in range(args.docs):
        minute += rng.expovariate(args.rate)
        moment = START + timedelta(minutes=minute)
        company = rng.choice(COMPANIES)
        hit = any(c == company and o <= moment < o + timedelta(hours=4) for c, o in onsets)
        text = rng.choice(negative) if hit and rng.random() < 0.6 else snippets[i % len(snippets)]
        documents.append(
            {
                "id": f"n{i}",
                "time": moment.isoformat(),
                "source": "bench",
                "text": f"{company}: {text}",
            }
        )
    return documents, onsets


class Receiver:
    """A webhook that notes when each alert arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrived[json.loads(body)["id"]] = time.perf_counter()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(values),
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    args = parse_args()
    result: dict[str, Any] = {"machine": machine(), "settings": vars(args)}
    documents, onsets = stream(args)
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as home, serve(Path(home) / "home", workers=0) as site:
        rule_common = {"keys": "entity:*", "cooldown_minutes": 360, "min_volume": 5}
        settings = {
            "sentiment": args.sentiment,
            "aliases": {c: {"type": "company", "aliases": []} for c in COMPANIES},
            "window_minutes": 120,
            "step_minutes": 30,
            "rules": [
                {"name": "negative", "kind": "threshold", "above": 0.6, **rule_common},
                {"name": "drop", "kind": "adwin", "delta": 0.2, **rule_common},
            ],
        }
        # warm-up: a first batch loads the dictionary and river in the server; not timed
        warm = site.client.post("/v1/monitors", json={"name": "warm-up", **settings})
        warm.raise_for_status()
        site.client.post(
            f"/v1/monitors/{warm.json()['id']}/documents", json={"documents": documents[:64]}
        ).raise_for_status()
        hook = {"url": receiver.url, "secret": "bench", "backoff_seconds": 0.2}
        created = site.client.post(
            "/v1/monitors", json={"name": "bench", **settings, "webhooks": [hook]}
        )
        created.raise_for_status()
        path = f"/v1/monitors/{created.json()['id']}/documents"
        sent: dict[str, tuple[float, float]] = {}  # alert id → (POST left, answer came)
        durations = []
        first = time.perf_counter()
        for i in range(0, len(documents), args.batch):
            left = time.perf_counter()
            answer = site.client.post(path, json={"documents": documents[i : i + args.batch]})
            came = time.perf_counter()
            answer.raise_for_status()
            durations.append(came - left)
            for alert in answer.json()["alerts"]:
                sent[alert["id"]] = (left, came)
        total = time.perf_counter() - first
        deadline = time.perf_counter() + 30
        while set(sent) - set(receiver.arrived) and time.perf_counter() < deadline:
            time.sleep(0.1)
        alerts = site.client.get(f"{path.rsplit('/', 1)[0]}/alerts?limit=100").json()["data"]
    receiver.server.shutdown()
    result["throughput"] = {
        "documents": len(documents),
        "batch_size": args.batch,
        "docs_per_second": round(len(documents) / total, 1),
        "seconds_per_batch": summary(durations),
        "batch_seconds": [round(d, 3) for d in durations],
    }
    result["post_to_alert_in_answer"] = summary([came - left for left, came in sent.values()])
    result["post_to_webhook"] = summary(
        [receiver.arrived[a] - sent[a][0] for a in sent if a in receiver.arrived]
    )
    result["alerts"] = {
        "raised": len(sent),
        "delivered": sum(a in receiver.arrived for a in sent),
        "on_event_companies": sorted(
            {a["key"] for a in alerts} & {f"entity:{c}" for c, _ in onsets}
        ),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "monitor_server.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
