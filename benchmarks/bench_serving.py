"""Serving NER over HTTP: ``oi serve`` against a pipeline in a minimal FastAPI app.

    .venv/bin/python benchmarks/bench_serving.py            # ~8 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/bench_serving.py --quick    # smoke run, tiny sizes

minilm-l6 is fine-tuned on CoNLL-2003 (2,000 seeded sentences, 2 epochs, lr 1e-4) and saved to a
temporary directory, which every server loads, on loopback only, with ``OI_HOME`` in a
temporary directory. The model is registered (``oi models register bench-ner DIR``) and
its ONNX exports kept with the version (``oi export bench-ner --store``, fp32 and int8,
through the parity gate). Servers, each its own process:

- ``ours``: ``oi serve --workers 0`` with API keys on, as users run it (every client
  sends its own ``predict`` key); requests go to ``POST /v1/models/bench-ner/predict``;
- ``ours-no-auth``: the same with ``--no-auth``;
- ``ours-onnx`` / ``ours-int8``: ``oi serve --backend onnx`` (``OI_ONNX_PRECISION``
  fp32 / int8), keys on;
- ``naive``: ``benchmarks/naive_app.py`` under uvicorn, a pipeline called per request;
- ``naive-onnx`` / ``naive-int8``: the same app with the pipeline's forward pass in ONNX
  Runtime on the same exported files (``NAIVE_APP_ONNX``), as Optimum users would.

A load generator (asyncio + httpx, in this process) runs 1, 8 and 32 clients, each
sending one ``eng.testa`` sentence per request and the next as soon as the answer comes,
for a fixed time and at most a fixed number of requests per level; the servers take
turns at each level (in order, then in reverse). Each gets a warm-up first. Ratios are
given fp32 against fp32 (PyTorch both sides) and best against best (each side's
fastest at 32 clients).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BENCHMARKS_DIR,
    BenchmarkResult,
    Table,
    Target,
    apply_sizes,
    base_parser,
    executable,
    fine_tune_bench_model,
    isolated_environment,
    limit_target,
    load_conll,
    machine,
    ratio_target,
    size_help,
    warn_if_busy,
)

MODEL_NAME = "bench-ner"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Spec:
    """What one server is: its label, backend, precision, whose it is and whether it
    asks for API keys."""

    label: str
    backend: str
    precision: str
    ours: bool
    keys: bool


def server_specs(native_bf16: bool) -> dict[str, Spec]:
    """The servers compared; ours on PyTorch computes in bf16 where the CPU does natively."""
    torch_precision = "bf16" if native_bf16 else "fp32"
    return {
        "ours": Spec("oi serve (dynamic batching)", "PyTorch", torch_precision, True, True),
        "ours-no-auth": Spec("oi serve --no-auth", "PyTorch", torch_precision, True, False),
        "ours-onnx": Spec("oi serve --backend onnx", "ONNX Runtime", "fp32", True, True),
        "ours-int8": Spec("oi serve --backend onnx", "ONNX Runtime", "int8 (dynamic)", True, True),
        "naive": Spec("naive FastAPI + pipeline", "PyTorch", "fp32", False, False),
        "naive-onnx": Spec("naive FastAPI + pipeline", "ONNX Runtime", "fp32", False, False),
        "naive-int8": Spec(
            "naive FastAPI + pipeline", "ONNX Runtime", "int8 (dynamic)", False, False
        ),
    }


FULL = {"duration": 15.0, "max_requests": 20_000, "fine_tune_size": 2000}
QUICK = {"duration": 2.0, "max_requests": 40, "fine_tune_size": 16}
REQUEST_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 300.0
WARMUP_REQUESTS = 16
BENCH_EPOCHS = 2
"""The served model trains 2 epochs on 2,000 sentences, as the inference benchmark's."""


@dataclass
class Server:
    """A server started for the benchmark: where to send predictions, its process and log."""

    name: str
    predict_url: str
    health_url: str
    process: subprocess.Popen
    log: Path
    keys: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    """What one load level measured against one server."""

    server: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def requests_per_second(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile ``p`` in seconds (nearest rank); NaN without successes."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def summary(self) -> dict[str, Any]:
        """The figures, for the JSON file."""
        return {
            "server": self.server,
            "clients": self.clients,
            "seconds": self.seconds,
            "ok": len(self.latencies),
            "errors": dict(self.errors),
            "requests_per_second": self.requests_per_second,
            **{f"p{p}_ms": self.percentile(p) * 1000 for p in (50, 95, 99)},
        }


# -- the servers ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare_ours(model_dir: Path, clients: int) -> list[str]:
    """Register the model, keep its fp32 and int8 exports with it, and create one
    ``predict`` key per client (the rate limit is per key, as for real clients)."""
    from open_interpreter.services.api_keys import create_key
    from open_interpreter.storage import Database

    oi = executable("oi")
    subprocess.run([oi, "models", "register", MODEL_NAME, str(model_dir)], check=True)
    for quantize in ([], ["--quantize", "int8"]):
        subprocess.run([oi, "export", MODEL_NAME, *quantize, "--store"], check=True)
    db = Database()
    try:
        with db.session() as session:
            return [
                create_key(session, name=f"client-{i}", scope="predict")[1] for i in range(clients)
            ]
    finally:
        db.dispose()


def start_ours(name: str, spec: Spec, keys: list[str], logs: Path) -> Server:
    """``oi serve`` on the (temporary) OI_HOME's database, as ``spec`` says."""
    port = free_port()
    command = [executable("oi"), "serve", "--workers", "0", "--host", HOST, "--port", str(port)]
    env = os.environ.copy()
    if not spec.keys:
        command.append("--no-auth")
    if spec.backend == "ONNX Runtime":
        command += ["--backend", "onnx"]
        env["OI_ONNX_PRECISION"] = "int8" if spec.precision.startswith("int8") else "fp32"
    server = _start(
        name,
        command,
        env,
        predict_url=f"http://{HOST}:{port}/v1/models/{MODEL_NAME}/predict",
        health_url=f"http://{HOST}:{port}/health",
        log=logs / f"{name}.log",
    )
    server.keys = keys if spec.keys else []
    return server


def start_naive(name: str, spec: Spec, model_dir: Path, onnx_dir: Path, logs: Path) -> Server:
    """Start ``naive_app.py`` under uvicorn, as a user would, without access logs."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "naive_app:app", "--app-dir", str(BENCHMARKS_DIR)]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    env = {**os.environ, "NAIVE_APP_MODEL": str(model_dir)}
    if spec.backend == "ONNX Runtime":
        precision = "int8" if spec.precision.startswith("int8") else "fp32"
        env["NAIVE_APP_ONNX"] = str(onnx_dir / precision / "model.onnx")
    return _start(
        name,
        command,
        env,
        predict_url=f"http://{HOST}:{port}/predict",
        health_url=f"http://{HOST}:{port}/health",
        log=logs / f"{name}.log",
    )


def _start(
    name: str,
    command: list[str],
    env: dict[str, str],
    *,
    predict_url: str,
    health_url: str,
    log: Path,
) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, predict_url, health_url, process, log)


def wait_ready(server: Server) -> None:
    """Wait until the server answers its health check; exit with its log if it died."""
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log.read_text(errors="replace")[-3000:]
            sys.exit(f"the {server.name} server exited ({server.process.returncode}):\n{log}")
        try:
            if httpx.get(server.health_url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"the {server.name} server did not become ready in {READY_TIMEOUT_S:.0f} s")


@contextmanager
def stopped_at_exit(server: Server) -> Iterator[Server]:
    """Terminate the server (only that process) when the block ends."""
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


# -- the load ------------------------------------------------------------------------------


async def generate_load(
    server: Server, payloads: list[dict], *, clients: int, duration: float, max_requests: int
) -> LoadResult:
    """``clients`` closed-loop clients for ``duration`` seconds or ``max_requests`` requests."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    issued = itertools.count()
    loop = asyncio.get_running_loop()
    result = LoadResult(server.name, clients, 0.0)
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT_S) as client:
        started = loop.time()
        deadline = started + duration

        async def one_client(number: int) -> None:
            headers = (
                {"Authorization": f"Bearer {server.keys[number % len(server.keys)]}"}
                if server.keys
                else None
            )
            while loop.time() < deadline:
                index = next(issued)
                if index >= max_requests:
                    return
                sent = time.perf_counter()
                try:
                    response = await client.post(
                        server.predict_url, json=payloads[index % len(payloads)], headers=headers
                    )
                    error = None if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                if error is None:
                    result.latencies.append(time.perf_counter() - sent)
                else:
                    result.errors[error] += 1

        await asyncio.gather(*(one_client(number) for number in range(clients)))
        result.seconds = loop.time() - started
    return result


def warm_up(server: Server, payloads: list[dict]) -> None:
    """A few concurrent requests, untimed: the first one loads ours's model."""
    asyncio.run(
        generate_load(
            server, payloads, clients=4, duration=READY_TIMEOUT_S, max_requests=WARMUP_REQUESTS
        )
    )


def measure(
    servers: dict[str, Server], payloads: list[dict], args: Any
) -> dict[int, dict[str, LoadResult]]:
    """Every level against both servers, the servers taking turns to go first."""
    measured: dict[int, dict[str, LoadResult]] = {}
    for level, clients in enumerate(args.clients):
        order = list(servers) if level % 2 == 0 else list(reversed(servers))
        measured[clients] = {}
        for name in order:
            print(f"{clients} client(s): {name} ...", flush=True)
            measured[clients][name] = asyncio.run(
                generate_load(
                    servers[name],
                    payloads,
                    clients=clients,
                    duration=args.duration,
                    max_requests=args.max_requests,
                )
            )
    return measured


# -- reporting -----------------------------------------------------------------------------


def results_table(specs: dict[str, Spec], measured: dict[int, dict[str, LoadResult]]) -> Table:
    """One row per level and server."""
    rows = []
    for clients, by_server in measured.items():
        for name, spec in specs.items():
            load = by_server[name]
            rows.append(
                [
                    str(clients),
                    spec.label,
                    spec.backend,
                    spec.precision,
                    "on" if spec.keys else "off",
                    f"{load.requests_per_second:.1f}",
                    *(f"{load.percentile(p) * 1000:.0f}" for p in (50, 95, 99)),
                    str(len(load.latencies)),
                    str(sum(load.errors.values())),
                ]
            )
    columns = ["clients", "server", "backend", "precision", "API keys", "requests/s"]
    columns += ["p50 ms", "p95 ms", "p99 ms", "ok", "errors"]
    return Table("Serving one sentence per request", columns, rows)


def best_pair(specs: dict[str, Spec], top: dict[str, LoadResult]) -> tuple[str, str]:
    """Each side's fastest server at the top level: ours among those with keys on."""
    ours = [name for name, spec in specs.items() if spec.ours and spec.keys]
    theirs = [name for name, spec in specs.items() if not spec.ours]
    rate = {name: load.requests_per_second for name, load in top.items()}
    return max(ours, key=rate.__getitem__), max(theirs, key=rate.__getitem__)


def targets(specs: dict[str, Spec], measured: dict[int, dict[str, LoadResult]]) -> list[Target]:
    """At the highest level, keys on: throughput and p99 against the naive app, fp32 against
    fp32 and best against best; no errors anywhere."""
    top = max(measured)
    at_top = measured[top]
    best_ours, best_theirs = best_pair(specs, at_top)
    errors = sum(
        sum(load.errors.values())
        for by_server in measured.values()
        for name, load in by_server.items()
        if specs[name].ours
    )
    found = []
    for kind, ours, naive in (
        ("fp32 against fp32", at_top["ours"], at_top["naive"]),
        ("best against best", at_top[best_ours], at_top[best_theirs]),
    ):
        found += [
            ratio_target(
                f"{kind}: requests/s at {top} clients, keys on, vs naive app",
                ours.requests_per_second,
                naive.requests_per_second,
                at_least=4.0,
            ),
            ratio_target(
                f"{kind}: p99 latency (ms) at {top} clients, keys on, vs naive app",
                ours.percentile(99) * 1000,
                naive.percentile(99) * 1000,
                below=1.0,
                fmt="{:.0f}".format,
            ),
        ]
    found.append(limit_target("errors (ours, every server and level)", errors, at_most=0))
    return found


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line."""
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients",
        type=int,
        nargs="+",
        default=[1, 8, 32],
        help="concurrent clients per level (default 1 8 32)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        help=size_help("seconds per level and server", "duration", FULL, QUICK),
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        help=size_help("most requests per level and server", "max_requests", FULL, QUICK),
    )
    parser.add_argument(
        "--fine-tune-size",
        type=int,
        help=size_help(
            "sentences the served model is fine-tuned on", "fine_tune_size", FULL, QUICK
        ),
    )
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    return args


def run(args: Any, tmp: Path, specs: dict[str, Spec]) -> dict[int, dict[str, LoadResult]]:
    """Fine-tune, export, start every server, warm them up and measure every level."""
    print(f"fine-tuning the served model on {args.fine_tune_size} sentences ...", flush=True)
    model_dir = fine_tune_bench_model(
        tmp / "model", size=args.fine_tune_size, seed=args.seed, epochs=BENCH_EPOCHS
    )
    keys = prepare_ours(model_dir, max(args.clients))
    onnx_dir = tmp / "exports"
    for precision, quantize in (("fp32", None), ("int8", "int8")):
        subprocess.run(
            [executable("oi"), "export", str(model_dir), "-o", str(onnx_dir / precision)]
            + (["--quantize", quantize] if quantize else []),
            check=True,
        )
    sentences = load_conll("testa", None, args.seed).tokens
    payloads = [{"texts": [" ".join(tokens)]} for tokens in sentences]
    with ExitStack() as stack:
        servers = {}
        for name, spec in specs.items():
            server = (
                start_ours(name, spec, keys, tmp)
                if spec.ours
                else start_naive(name, spec, model_dir, onnx_dir, tmp)
            )
            servers[name] = stack.enter_context(stopped_at_exit(server))
        for server in servers.values():
            wait_ready(server)
            warm_up(server, payloads)
        return measure(servers, payloads, args)


def main(argv: list[str] | None = None) -> None:
    """Run the serving benchmark, print the tables and write results/serving.json."""
    args = parse_args(argv)
    with isolated_environment(), tempfile.TemporaryDirectory() as tmp:
        info = machine()
        warn_if_busy(info)
        specs = server_specs(bool(info.get("native_bf16")))
        measured = run(args, Path(tmp), specs)
    top = max(measured)
    best_ours, best_theirs = best_pair(specs, measured[top])
    result = BenchmarkResult(
        benchmark="serving",
        title="Serving: NER over HTTP on loopback, minilm-l6",
        command="python benchmarks/bench_serving.py" + (" --quick" if args.quick else ""),
        quick=args.quick,
        machine=info,
        settings={
            "clients": args.clients,
            "seconds_per_level": args.duration,
            "max_requests_per_level": args.max_requests,
            "fine_tune_sentences": args.fine_tune_size,
            "warmup_requests": WARMUP_REQUESTS,
        },
        tables=[results_table(specs, measured)],
        targets=targets(specs, measured),
        notes=[
            "Closed loop: each client sends its next request when the last one is answered; "
            "the load generator shares the CPU with the servers, equally for all.",
            "requests/s counts answered requests (HTTP 200); anything else is an error.",
            "API keys on: each client sends its own predict key (the rate limit is per key); "
            "the naive app has no keys.",
            f"Best against best at {top} clients: ours {specs[best_ours].label} "
            f"({specs[best_ours].backend}, {specs[best_ours].precision}), the reference "
            f"{specs[best_theirs].label} ({specs[best_theirs].backend}, "
            f"{specs[best_theirs].precision}). int8 exports pass the platform's parity gate.",
        ],
        raw={str(c): [load.summary() for load in by.values()] for c, by in measured.items()},
    )
    result.print()
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
