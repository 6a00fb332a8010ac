"""Chaos: 3 workers, 30 queued jobs, one worker SIGKILLed every 10 s, on PostgreSQL.

    nice -n 10 .venv/bin/python benchmarks/bench_chaos.py --database-url URL
    nice -n 10 .venv/bin/python benchmarks/bench_chaos.py --database-url URL --quick

``URL`` is a PostgreSQL server (``./scripts/postgres.sh`` prints one; default
``$OI_DATABASE_URL``): the run creates a database of its own there and drops it afterwards.
``OI_HOME`` is a temporary directory that every worker shares (the artifact folder).

The jobs fine-tune a 2-layer, 32-wide BERT built from config (minilm-l6's tokenizer) on 12
seeded CoNLL-2003 sentences, 12 steps with a checkpoint every 4, so each takes seconds.
``--workers`` ``oi worker`` processes (lease timeout 4 s) work through the queue; every
``--kill-every`` seconds one of them — a worker running a job where one is, drawn at
random — is SIGKILLed with its job's process, and started again at once under a new name
(as a supervisor would). A job whose runs are cut short 3 times is given up (failed, and
says so): that too is an end. Afterwards every job must have ended exactly once (one
final status event, none left queued or running), and the registry must hold exactly one
version per succeeded job.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from chaos_site import (
    JOB,
    MODEL_NAME,
    STALE_AFTER_S,
    ChaosOutcome,
    WorkerPool,
    WorkerProcess,
    outcome,
    queue_jobs,
    run_chaos,
)
from common import (
    BenchmarkResult,
    Table,
    add_database_url,
    apply_sizes,
    base_parser,
    isolated_environment,
    limit_target,
    load_conll,
    machine,
    model_path,
    require_postgresql,
    size_help,
    warn_if_busy,
)
from load_site import benchmark_database

FULL = {"jobs": 30, "kill_every": 10.0, "timeout": 1800.0}
QUICK = {"jobs": 4, "kill_every": 10.0, "timeout": 600.0}
TINY_MODEL = "tiny-bert"
SENTENCES = 12


def build_tiny_bert(store: Path) -> str:
    """A 2-layer, 32-wide BERT with random weights and minilm-l6's tokenizer, saved into the
    model store; its name there."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        vocab_size=len(tokenizer),
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    path = store / TINY_MODEL
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return TINY_MODEL


def upload_sentences(db: Any, seed: int) -> str:
    """``SENTENCES`` seeded CoNLL-2003 training sentences, stored as a dataset; its id."""
    from open_interpreter.services.datasets import store_upload

    examples = load_conll("train", SENTENCES, seed)
    blocks = [
        "\n".join(f"{w} {t}" for w, t in zip(words, tags, strict=True))
        for words, tags in zip(examples.tokens, examples.tags or [], strict=True)
    ]
    with db.session() as session:
        row = store_upload(
            session,
            name="chaos",
            filename="chaos.conll",
            data=("\n\n".join(blocks) + "\n").encode(),
            declared_format=None,
        )
        return row.id


def run(args: Any, home: Path, logs: Path) -> tuple[ChaosOutcome, WorkerPool, dict[str, Any]]:
    """Queue the jobs, start the workers, kill one every ``kill_every`` s until all ended."""
    from open_interpreter.storage import Database

    model = build_tiny_bert(home / "models")
    with benchmark_database(args.database_url, home) as url:
        db = Database(url)  # migrated here, before the workers start
        try:
            job_ids = queue_jobs(db, upload_sentences(db, args.seed), model, args.jobs)
            pool = WorkerPool(lambda name: WorkerProcess.start(url, name, logs), args.workers)
            rng = random.Random(args.seed)
            kills: list[dict[str, Any]] = []
            started = time.monotonic()
            next_kill = started + args.kill_every

            def every_kill_every(busy: list[str]) -> str | None:
                nonlocal next_kill
                if time.monotonic() < next_kill:
                    return None
                next_kill += args.kill_every
                victim = rng.choice(busy or sorted(pool.workers))
                at = round(time.monotonic() - started, 1)
                kills.append({"at_s": at, "worker": victim, "running_a_job": victim in busy})
                print(f"{at:7.1f} s  SIGKILL {victim}" + (" (running a job)" * (victim in busy)))
                return victim

            print(f"{args.jobs} jobs, {args.workers} workers, a kill every {args.kill_every:g} s")
            try:
                run_chaos(
                    db,
                    pool.start(),
                    job_ids,
                    choose_victim=every_kill_every,
                    timeout_s=args.timeout,
                )
            finally:
                pool.stop()
            wall = time.monotonic() - started
            ended = outcome(db, job_ids)
        finally:
            db.dispose()
    return ended, pool, {"wall_s": round(wall, 1), "kills": kills}


def outcome_table(ended: ChaosOutcome, pool: WorkerPool, run_info: dict[str, Any]) -> Table:
    """The one-row summary the issue asks for."""
    landed = sum(k["running_a_job"] for k in run_info["kills"])
    late = ended.late_heartbeats(pool.killed_at)
    columns = ["jobs", "succeeded", "failed (giving up)", "failed (other)", "duplicates"]
    columns += ["lost", "versions", "kills (in a job)", "runs", "runs gone stale: killed"]
    columns += ["late heartbeat", "wall s"]
    row = [
        str(ended.jobs),
        str(len(ended.succeeded)),
        str(len(ended.gave_up)),
        str(len(ended.failed)),
        str(len(ended.duplicates)),
        str(len(ended.lost)),
        str(len(ended.version_numbers)),
        f"{pool.kills} ({landed})",
        str(ended.attempts),
        str(len(ended.stale_runs) - late),
        str(late),
        f"{run_info['wall_s']:.0f}",
    ]
    return Table("Every job's end", columns, [row])


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line."""
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help=size_help("queued jobs", "jobs", FULL, QUICK))
    parser.add_argument("--workers", type=int, default=3, help="oi worker processes (default 3)")
    parser.add_argument(
        "--kill-every",
        type=float,
        help=size_help("seconds between kills", "kill_every", FULL, QUICK),
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help=size_help(
            "most seconds the run may take; jobs left count as lost", "timeout", FULL, QUICK
        ),
    )
    add_database_url(parser)
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    require_postgresql(parser, args)
    return args


def main(argv: list[str] | None = None) -> BenchmarkResult:
    """Run the chaos benchmark, print its table and write ``results/chaos.json``."""
    args = parse_args(argv)
    with isolated_environment() as home, tempfile.TemporaryDirectory() as logs:
        info = machine()
        warn_if_busy(info)
        ended, pool, run_info = run(args, home, Path(logs))
    result = BenchmarkResult(
        benchmark="chaos",
        title=f"Chaos: {args.workers} workers, {args.jobs} jobs, a SIGKILL every "
        f"{args.kill_every:g} s, PostgreSQL",
        command="python benchmarks/bench_chaos.py --database-url URL"
        + (" --quick" if args.quick else ""),
        quick=args.quick,
        machine=info,
        settings={
            "jobs": args.jobs,
            "workers": args.workers,
            "kill_every_s": args.kill_every,
            "lease_timeout_s": STALE_AFTER_S,
            "model": "2-layer, 32-wide BERT from config (minilm-l6 tokenizer)",
            "job": JOB,
            "sentences": SENTENCES,
            "seed": args.seed,
        },
        tables=[outcome_table(ended, pool, run_info)],
        targets=[
            limit_target("jobs lost", len(ended.lost), at_most=0),
            limit_target("jobs ended twice", len(ended.duplicates), at_most=0),
            limit_target("jobs failed but by giving up", len(ended.failed), at_most=0),
            limit_target(
                "registry ≠ one version per succeeded job",
                int(not ended.registry_matches),
                at_most=0,
            ),
        ],
        notes=[
            "A kill SIGKILLs the worker's process group: the worker and its job's process, as "
            "a machine that loses power. Its job is requeued once its heartbeat is "
            f"{STALE_AFTER_S:g} s stale and resumes from its last checkpoint.",
            "failed (giving up): the job's runs were cut short 3 times (MAX_ATTEMPTS); it "
            "ends failed and says so rather than being retried for ever.",
            "runs: every job's attempts added up (a job never killed takes 1). Runs gone "
            f"stale: their worker's heartbeat was over {STALE_AFTER_S:g} s old, so another "
            "worker requeued the job (or gave it up); killed: the worker had been killed; late "
            "heartbeat: it was still alive (a busy machine), and the lease fences that run "
            "off (it can no longer write, and stops at its next heartbeat).",
            f"Model '{MODEL_NAME}': versions are the registry's rows after the run.",
        ],
        raw={
            **ended.summary(),
            "stale_runs_late_heartbeat": ended.late_heartbeats(pool.killed_at),
            **run_info,
            "failed_errors": ended.failed,
        },
    )
    result.print()
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
