"""The whole server under mixed load: ``oi serve`` with API keys and a fine-tune training.

    .venv/bin/python benchmarks/bench_load.py                       # SQLite, ~4 min
    .venv/bin/python benchmarks/bench_load.py --database-url URL    # PostgreSQL server URL
    .venv/bin/python benchmarks/bench_load.py --quick               # smoke run, tiny sizes

``oi serve --workers 1`` runs on loopback with API keys on, over SQLite in a temporary
``OI_HOME`` or over a fresh database created for the run on the PostgreSQL server that
``--database-url`` (or ``OI_DATABASE_URL``) names, dropped afterwards. Before the load:

- a sentiment classifier (a LoRA adapter on ``--encoder``, fine-tuned on tweets from the
  packaged ``tweet-sentiment`` data) is uploaded as an archive and promoted;
- ``--generator`` serves ``POST /v1/generate``;
- a fine-tune job of ``--encoder`` on uploaded tweets is queued, and the load starts once
  the worker is training it; it trains throughout and is cancelled afterwards.

Then ``--clients`` closed-loop clients (asyncio + httpx, in this process), each with a key
of its own, send for ``--seconds`` a mix of predictions, short generations, list calls
and uploads (small datasets; now and then a model archive). Any answer but a 2xx or a
429 is an error, and so is a timeout or a dropped connection.
"""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_serving import stopped_at_exit, wait_ready
from common import (
    BenchmarkResult,
    Table,
    add_database_url,
    apply_sizes,
    base_parser,
    isolated_environment,
    limit_target,
    machine,
    size_help,
    warn_if_busy,
)
from load_site import (
    ADMIN_EVERY,
    JOB_EXAMPLES,
    MAX_NEW_TOKENS,
    ROUTES,
    UPLOAD_ROWS,
    MemoryWatch,
    Workload,
    benchmark_database,
    cancel,
    create_keys,
    fine_tune_classifier,
    in_store,
    read_tweets,
    set_up,
    start_server,
    tar_gz,
    wait_until_training,
)

FULL = {"clients": 128, "seconds": 60.0, "fine_tune_size": 128}
QUICK = {"clients": 4, "seconds": 3.0, "fine_tune_size": 16}
MIX = {
    "predict": 45,
    "generate": 8,
    "list models": 11,
    "list datasets": 11,
    "list fine-tunes": 12,
    "upload dataset": 12,
    "upload model": 8,
}
"""How often each client draws each call (only admin clients draw "upload model")."""
REQUEST_TIMEOUT_S = 120.0
TROUBLE = re.compile(r"(?i)traceback|error|exception|unavailable|locked|timed out")
"""A server log line that tells of trouble (the others: start-up, workers, model loads)."""
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class RouteLoad:
    """What one kind of call measured: latencies of answered calls and every outcome."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def record(self, seconds: float, outcome: int | str, detail: str = "") -> None:
        """Count one call: an HTTP status, or the name of the error that ended it."""
        self.outcomes[outcome] += 1
        if isinstance(outcome, int) and 200 <= outcome < 300:
            self.latencies.append(seconds)
        elif outcome != 429 and len(self.examples) < 3:
            self.examples.append(f"{outcome}: {detail[:300]}")

    @property
    def errors(self) -> int:
        """Calls that failed: neither 2xx nor an expected 429."""
        limited = self.outcomes[429]
        return sum(self.outcomes.values()) - len(self.latencies) - limited

    def percentile_ms(self, p: float) -> float:
        """Latency percentile ``p`` of the answered calls in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return 1000 * ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]


# -- the load ------------------------------------------------------------------------------


async def generate_load(
    base_url: str, keys: list[tuple[str, str]], work: Workload, *, seconds: float, seed: int
) -> tuple[dict[str, RouteLoad], float]:
    """One closed-loop client per key for ``seconds``; per action, what it measured."""
    import httpx

    loads = {action: RouteLoad() for action in MIX}
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=len(keys))
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_S
    ) as http:
        started = loop.time()
        deadline = started + seconds

        async def one_client(index: int, scope: str, secret: str) -> None:
            rng = random.Random(seed * 1000 + index)
            actions = [a for a in MIX if scope == "admin" or a != "upload model"]
            weights = [MIX[a] for a in actions]
            headers = {"Authorization": f"Bearer {secret}"}
            while loop.time() < deadline:
                action = rng.choices(actions, weights)[0]
                method, path = ROUTES[action]
                sent = time.perf_counter()
                try:
                    response = await http.request(
                        method, path, headers=headers, **work.request(action, rng)
                    )
                    outcome, detail = response.status_code, response.text
                except httpx.HTTPError as exc:
                    outcome, detail = type(exc).__name__, repr(exc.__cause__ or exc)
                loads[action].record(time.perf_counter() - sent, outcome, detail)

        await asyncio.gather(*(one_client(i, *key) for i, key in enumerate(keys)))
        elapsed = loop.time() - started
    return loads, elapsed


# -- one run -------------------------------------------------------------------------------


@dataclass
class Measured:
    """Everything one run measured."""

    database: str
    loads: dict[str, RouteLoad]
    seconds: float
    rss_before: int
    rss_after: int
    rss_peak: int
    job_rss_peak: int
    job_steps: int
    job_status: str
    log_lines: Counter
    """The server log's lines, but for tracebacks' inner lines, with how often each came."""


def run(args: Any, home: Path, tmp: Path) -> Measured:
    """Prepare the models, start the server, set it up, measure the load, clean up."""
    import httpx

    from open_interpreter.models import resolve_model

    tweets, labels = read_tweets(args.seed)
    encoder, generator = in_store(args.encoder), in_store(args.generator)
    resolve_model(generator)  # a GGUF-only package converts now, not on the first request
    work = Workload(tweets, labels, b"", generator)
    print(f"fine-tuning the classifier on {args.fine_tune_size} tweets ...", flush=True)
    classifier = fine_tune_classifier(
        encoder, work, tmp / "classifier", size=args.fine_tune_size, seed=args.seed
    )
    work.archive = tar_gz(classifier)
    with benchmark_database(args.database_url, home) as url:
        setup_key, keys = create_keys(url, args.clients)
        with stopped_at_exit(start_server(url, tmp)) as server:
            wait_ready(server)
            base = server.health_url.removesuffix("/health")
            auth = {"Authorization": f"Bearer {setup_key}"}
            with httpx.Client(base_url=base, headers=auth, timeout=REQUEST_TIMEOUT_S) as http:
                print("registering the classifier, queueing the job ...", flush=True)
                job_id = set_up(http, work, encoder, classifier)
                step = wait_until_training(http, job_id)["progress"]["step"]
                watch = MemoryWatch(server.process.pid)
                rss_before = watch.rss()
                print(f"{len(keys)} clients for {args.seconds:g} s ...", flush=True)
                with watch:
                    loads, seconds = asyncio.run(
                        generate_load(base, keys, work, seconds=args.seconds, seed=args.seed)
                    )
                rss_after = watch.rss()
                job = cancel(http, job_id)
            log = server.log.read_text(errors="replace")
        database = "postgresql" if url.startswith("postgresql") else "sqlite"
    return Measured(
        database=database,
        loads=loads,
        seconds=seconds,
        rss_before=rss_before,
        rss_after=rss_after,
        rss_peak=max(watch.peak, rss_after),
        job_rss_peak=watch.peak_children,
        job_steps=(job["progress"].get("step") or step) - step,
        job_status=job["status"],
        log_lines=Counter(line for line in log.splitlines() if line and not line[0].isspace()),
    )


# -- reporting -----------------------------------------------------------------------------


def routes_table(measured: Measured) -> Table:
    """One row per kind of call, and one for all of them."""
    rows = []
    everything = RouteLoad()
    for action, load in measured.loads.items():
        everything.latencies += load.latencies
        everything.outcomes += load.outcomes
        method, path = ROUTES[action]
        rows.append([f"{method} {path}", *_figures(load, measured.seconds)])
    rows.append(["all", *_figures(everything, measured.seconds)])
    columns = ["route", "calls", "2xx", "429", "errors", "p50 ms", "p99 ms", "answered/s"]
    return Table(f"Calls by route, {NAMES[measured.database]}", columns, rows)


def _figures(load: RouteLoad, seconds: float) -> list[str]:
    calls = sum(load.outcomes.values())
    return [
        str(calls),
        str(len(load.latencies)),
        str(load.outcomes[429]),
        str(load.errors),
        f"{load.percentile_ms(50):.0f}",
        f"{load.percentile_ms(99):.0f}",
        f"{len(load.latencies) / seconds:.1f}",
    ]


def _log_summary(lines: Counter) -> str:
    """The log's lines that tell of trouble, the most frequent first (at most five)."""
    shown = [(n, line) for line, n in lines.most_common() if TROUBLE.search(line)]
    if not shown:
        return "no tracebacks, errors or database trouble"
    return "; ".join(f"{n} × {line[:200]!r}" for n, line in shown[:5])


def memory_table(measured: Measured) -> Table:
    """The server's memory over the run, and what the fine-tune job did meanwhile."""
    mb = 1024**2
    columns = ["server RSS before MB", "after MB", "peak MB", "job process peak MB"]
    columns += ["job steps during the load", "job at the end"]
    row = [f"{measured.rss_before / mb:.0f}", f"{measured.rss_after / mb:.0f}"]
    row += [f"{measured.rss_peak / mb:.0f}", f"{measured.job_rss_peak / mb:.0f}"]
    row += [str(measured.job_steps), measured.job_status]
    return Table("Memory and the fine-tune job", columns, [row])


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line."""

    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients", type=int, help=size_help("concurrent clients", "clients", FULL, QUICK)
    )
    parser.add_argument(
        "--seconds", type=float, help=size_help("seconds of load", "seconds", FULL, QUICK)
    )
    parser.add_argument(
        "--fine-tune-size",
        type=int,
        help=size_help("tweets the classifier is trained on", "fine_tune_size", FULL, QUICK),
    )
    add_database_url(parser, sqlite_fallback=True)
    parser.add_argument(
        "--encoder",
        default="minilm-l6",
        help="the classifier's and the job's base model: a name, or a directory copied into "
        "the run's model store (default minilm-l6)",
    )
    parser.add_argument(
        "--generator",
        default="smollm2-135m-instruct",
        help="the model /v1/generate answers with: a name, or a directory copied into the "
        "run's model store (default smollm2-135m-instruct)",
    )
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    return args


def main(argv: list[str] | None = None) -> BenchmarkResult:
    """Run the load benchmark, print its tables and write ``results/load-<database>.json``."""
    args = parse_args(argv)
    with isolated_environment() as home, tempfile.TemporaryDirectory() as tmp:
        info = machine()
        warn_if_busy(info)
        measured = run(args, home, Path(tmp))
    errors = sum(load.errors for load in measured.loads.values())
    command = "python benchmarks/bench_load.py" + (" --quick" if args.quick else "")
    if measured.database == "postgresql":
        command += " --database-url URL"
    result = BenchmarkResult(
        benchmark=f"load-{measured.database}",
        title=f"Load: the whole server, {args.clients} clients, {NAMES[measured.database]}",
        command=command,
        quick=args.quick,
        machine=info,
        settings={
            "clients": args.clients,
            "seconds": args.seconds,
            "database": measured.database,
            "cpus": info["cores"],
            "precision": "bf16 autocast" if info["native_bf16"] else "fp32",
            "encoder": args.encoder,
            "generator": args.generator,
            "max_new_tokens": MAX_NEW_TOKENS,
            "mix": " ".join(f"{action}:{weight}" for action, weight in MIX.items()),
            "keys": f"one per client, 1 in {ADMIN_EVERY} admin, the others train",
            "classifier_tweets": args.fine_tune_size,
            "job_tweets": JOB_EXAMPLES,
            "upload_rows": UPLOAD_ROWS,
            "seed": args.seed,
        },
        tables=[routes_table(measured), memory_table(measured)],
        targets=[limit_target("errors (every route)", errors, at_most=0)],
        notes=[
            "Closed loop: each client sends its next call when the last one is answered; the "
            "load generator, the server and the training job share the CPUs.",
            f"No call starts after {args.seconds:g} s, and the calls under way then are "
            f"waited for: answered/s is the 2xx answers over the {measured.seconds:.0f} s "
            "from the first call to the last answer.",
            f"Errors: answers other than 2xx and 429, timeouts ({REQUEST_TIMEOUT_S:.0f} s) "
            "and dropped connections. Each client has a key of its own, as real clients "
            "do, so the per-key rate limit (1,200 a minute) is the server's default.",
            f"Server log: {_log_summary(measured.log_lines)}.",
            f"The classifier is a LoRA adapter (r 8) on {args.encoder}, one epoch; the job "
            f"fully fine-tunes {args.encoder} (batch 8, 64 sub-words) and is cancelled after.",
        ],
        raw={
            action: {
                "outcomes": {str(k): v for k, v in load.outcomes.items()},
                "examples": load.examples,
            }
            for action, load in measured.loads.items()
        },
    )
    result.print()
    for action, load in measured.loads.items():
        for example in load.examples:
            print(f"  {action}: {example}")
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
