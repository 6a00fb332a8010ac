"""Replay the six attacks of docs/security.md against a real `oi serve` and check each answer.

It starts the server as `make demo` does (SQLite under a fresh $OI_HOME, API keys on), with
a registered classifier in production and a dataset and a queued fine-tune, then sends:

1. no key: ``POST /v1/models/x/predict`` with ``Transfer-Encoding: chunked`` and a body of
   ``--body-mb`` MB (1500 by default), and again with a key → 401, then 413; the server's
   RSS must stay within 100 MB of its starting figure;
2. a train key: a fine-tune asking for ``attacker/repo`` with ``trust_remote_code`` → 403/422;
3. a predict key: ``/v1/generate``, ``/v1/chat/completions`` and ``/v1/prompts/render`` with
   an unregistered model name → 404;
4. a predict key: ``/v1/prompts/render`` with ``{{ text * 20000000 }}`` → 422;
5. a train key: ``DELETE /v1/models/NAME`` on a model in production → 403;
6. a train key: ``GET /v1/fine-tunes/{id}/events`` with ``Last-Event-ID: abc`` → 400.

Usage:
    .venv/bin/python scripts/attack_cases.py            # the issue's figures (1.5 GB body)
    .venv/bin/python scripts/attack_cases.py --body-mb 50

It prints one row per case (expected, got, RSS) and exits 1 if any answer differs (a
growth of RSS beyond 100 MB in case 1 shows as a status of -1).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

MODEL = "demo-classifier"
RSS_SLACK_MB = 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body-mb", type=int, default=1500, help="Size of case 1's body.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oi-attack-") as home:
        os.environ["OI_HOME"] = home
        keys = _prepare(Path(home))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "open_interpreter.cli", "serve", "--port", str(port)],
            env={**os.environ, "OI_HOME": home},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base)
            rows = _attack(base, port, keys, psutil.Process(server.pid), args.body_mb)
        finally:
            server.terminate()
            server.wait(timeout=30)
    failed = False
    print(f"{'case':<44} {'expected':<10} {'got':<12} note")
    for case, expected, got, note in rows:
        ok = all(g in expected for g in got)
        failed |= not ok
        mark = "" if ok else "  <-- differs"
        print(
            f"{case:<44} {'/'.join(map(str, expected)):<10} {'/'.join(map(str, got)):<12} "
            f"{note}{mark}"
        )
    return 1 if failed else 0


def _prepare(home: Path) -> dict[str, str]:
    """Keys of every scope, a classifier registered and in production, a dataset, a job."""
    from open_interpreter import OpenInterpreter
    from open_interpreter.services import registry
    from open_interpreter.services.api_keys import create_key
    from open_interpreter.storage import Database

    classifier = OpenInterpreter("minilm-l6")
    classifier.add_sequence_classification_head(["negative", "positive"])
    directory = classifier.save(home / "models" / MODEL)
    db = Database()
    with db.session() as session:
        keys = {
            scope: create_key(session, name=scope, scope=scope)[1]
            for scope in ("predict", "train", "admin")
        }
        version = registry.register_directory(session, model_name=MODEL, path=directory)
        registry.promote(session, MODEL, version.version)
        session.commit()
    db.dispose()
    return keys


def _attack(
    base: str, port: int, keys: dict[str, str], server: psutil.Process, body_mb: int
) -> list[tuple[str, tuple[int, ...], list[int], str]]:
    def auth(scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[scope]}"}

    rows = []
    before = _rss_mb(server)
    anonymous = _chunked_post(port, "/v1/models/x/predict", {}, body_mb)
    keyed = _chunked_post(port, f"/v1/models/{MODEL}/predict", auth("predict"), body_mb)
    after = _rss_mb(server)
    grew = after - before
    rss = f"RSS {before:.0f} → {after:.0f} MB (up to {body_mb} MB offered twice)"
    statuses = [anonymous, keyed] if grew <= RSS_SLACK_MB else [anonymous, keyed, -1]
    rows.append(("1 chunked body: no key, then a predict key", (401, 413), statuses, rss))

    with httpx.Client(base_url=base, timeout=60) as client:
        data = b"text,label\ngood film,positive\nbad film,negative\n"
        dataset = client.post(
            "/v1/datasets", files={"file": ("d.csv", data)}, headers=auth("train")
        ).json()["id"]
        config = {"model": "attacker/repo", "trust_remote_code": True}
        remote = client.post(
            "/v1/fine-tunes",
            json={"model_name": "x", "train_dataset_id": dataset, "config": config},
            headers=auth("train"),
        )
        rows.append(("2 fine-tune with trust_remote_code", (403, 422), [remote.status_code], ""))

        unregistered = "someone/unregistered-model"
        got = [
            client.post(
                "/v1/generate",
                json={"model": unregistered, "prompt": "hi"},
                headers=auth("predict"),
            ).status_code,
            client.post(
                "/v1/chat/completions",
                json={"model": unregistered, "messages": [{"role": "user", "content": "hi"}]},
                headers=auth("predict"),
            ).status_code,
            client.post(
                "/v1/prompts/render",
                json={"template": "{{ text }}", "inputs": [{"text": "a"}], "model": unregistered},
                headers=auth("predict"),
            ).status_code,
        ]
        rows.append(("3 unregistered model names (3 routes)", (404,), got, ""))

        start = time.perf_counter()
        huge = client.post(
            "/v1/prompts/render",
            json={"template": "{{ text * 20000000 }}", "inputs": [{"text": "ab"}]},
            headers=auth("predict"),
        )
        rows.append(
            (
                "4 template building 40 MB",
                (422,),
                [huge.status_code],
                f"{time.perf_counter() - start:.2f} s, {len(huge.content)} bytes",
            )
        )

        delete = client.delete(f"/v1/models/{MODEL}", headers=auth("train"))
        rows.append(("5 train key deletes a production model", (403,), [delete.status_code], ""))

        job = client.post(
            "/v1/fine-tunes",
            json={
                "model_name": "y",
                "train_dataset_id": dataset,
                "config": {"model": "minilm-l6", "epochs": 1},
            },
            headers=auth("train"),
        ).json()["id"]
        events = client.get(
            f"/v1/fine-tunes/{job}/events", headers={**auth("train"), "Last-Event-ID": "abc"}
        )
        rows.append(("6 SSE resume id 'abc'", (400,), [events.status_code], ""))
    return rows


def _chunked_post(port: int, path: str, headers: dict[str, str], body_mb: int) -> int:
    """Send ``body_mb`` MB as chunks until the server answers; its status code (0: none)."""
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    chunk = b"a" * (1 << 20)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for _ in range(body_mb):
                sock.sendall(framed)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed: what it said is below
            pass
        try:
            answer = sock.recv(4096).split(b"\r\n", 1)[0]
        except OSError:
            return 0
    return int(answer.split()[1]) if answer else 0


def _rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer at {base} within {seconds:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
