"""The assistant through the server: p50/p99 latency of ``/v1/assistants`` on a real ``oi
serve`` (one process, the client in this one, both on this machine).

    nice -n 10 .venv/bin/python benchmarks/bench_assistant_server.py
    nice -n 10 .venv/bin/python benchmarks/bench_assistant_server.py --questions 20  # smoke

The assistant is built from the packaged zaragoza FAQ (503 pairs, ``faq=zaragoza``,
minilm-l6, plain retrieval answers). ``--questions`` FAQ questions (a seeded sample,
lower-cased and with their question mark dropped, so they are not verbatim entries) are
asked one at a time, after ``--warmup`` warm-up requests, as:

- ``retrieve``: ``POST /retrieve`` with k=3, retrieval alone (query embedding, BM25,
  cosine, fusion) plus HTTP and JSON;
- ``ask``: ``POST /ask``, one-off, end to end (retrieval, the hand-off decision, a
  hand-off's row when there is one);
- ``ask_in_session``: ``POST /ask`` in a conversation (also reads the previous turn,
  resolves follow-ups, stores the turn);
- ``ask_stream``: ``POST /ask`` as server-sent events, to the first event and to the end.

Each figure is the client's wall time; ``server_retrieve_ms`` is the retrieval time the
server itself measured (``timings_ms.retrieve`` of the one-off asks). Results go to
benchmarks/results/assistant_server.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from common import RESULTS_DIR, latency_percentiles, machine
from dashboard_site import serve

from open_interpreter.apps.assistant.service import entries_from_package


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    args = parse_args()
    result: dict[str, Any] = {"machine": machine(), "settings": vars(args)}
    rng = random.Random(args.seed)
    questions = [e.text.lower().rstrip("?").strip() for e in entries_from_package("zaragoza")]
    asked = rng.sample(questions, min(args.questions, len(questions)))
    with tempfile.TemporaryDirectory() as home, serve(Path(home) / "home", workers=0) as site:
        client = site.client
        build_ms, made = timed(
            lambda: client.post(
                "/v1/assistants", data={"name": "zaragoza", "faq": "zaragoza"}, timeout=600
            )
        )
        made.raise_for_status()
        base = f"/v1/assistants/{made.json()['id']}"
        result["build_s"] = round(build_ms / 1000, 1)
        for question in asked[: args.warmup]:
            client.post(f"{base}/ask", json={"question": question}).raise_for_status()
        sid = client.post(f"{base}/sessions").json()["id"]
        figures: dict[str, list[float]] = {
            "retrieve": [], "ask": [], "ask_in_session": [], "ask_stream_first_event": [],
            "ask_stream_done": [], "server_retrieve_ms": [],
        }  # fmt: skip
        handed_off = 0
        for question in asked:
            ms, response = timed(
                lambda q=question: client.post(f"{base}/retrieve", json={"question": q, "k": 3})
            )
            response.raise_for_status()
            figures["retrieve"].append(ms)
            ms, response = timed(
                lambda q=question: client.post(f"{base}/ask", json={"question": q})
            )
            response.raise_for_status()
            figures["ask"].append(ms)
            figures["server_retrieve_ms"].append(response.json()["timings_ms"]["retrieve"])
            handed_off += response.json()["handed_off"]
            body = {"question": question, "session_id": sid}
            ms, response = timed(lambda b=body: client.post(f"{base}/ask", json=b))
            response.raise_for_status()
            figures["ask_in_session"].append(ms)
            start = time.perf_counter()
            first = None
            with client.stream(
                "POST", f"{base}/ask", json={"question": question, "stream": True}
            ) as streamed:
                for line in streamed.iter_lines():
                    if first is None and line.startswith("event: "):
                        first = (time.perf_counter() - start) * 1000
            figures["ask_stream_first_event"].append(first or 0.0)
            figures["ask_stream_done"].append((time.perf_counter() - start) * 1000)
        result["latency"] = {name: latency_percentiles(values) for name, values in figures.items()}
        result["handed_off_share"] = round(handed_off / len(asked), 3)
        result["load_average_after"] = round(os.getloadavg()[0], 2)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / "assistant_server.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["latency"], indent=2))
    print(f"build {result['build_s']} s; handed off {result['handed_off_share']}; -> {out}")


if __name__ == "__main__":
    main()
