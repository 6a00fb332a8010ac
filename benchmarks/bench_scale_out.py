"""Distributed training: the same fine-tune in 1 process and in N processes (DDP, or FSDP
with --strategy fsdp; gloo on CPU, nccl on CUDA), with the same global batch, over several
training seeds: each seed's dev entity F1, the mean of each, and the mean difference with
its spread, against the issue's target (N processes within 0.5 F1 points of 1).

    nice -n 10 .venv/bin/python benchmarks/bench_scale_out.py --seeds 1 2 3   # full size
    nice -n 10 .venv/bin/python benchmarks/bench_scale_out.py --quick --seeds 1 2  # smoke

``minilm-l6`` on a seeded CoNLL-2003 subset (``eng.train``; dev: a seeded subset of
``eng.testa``; both drawn with ``--seed``, the same for every training seed), 1 epoch,
batch 16, lr 1e-4 (the benchmark model's settings), scored by the platform's seqeval
entity F1 (micro) on the dev subset after training. A training seed sets the head's
initial weights, the batch order and dropout, so each seed is one paired comparison of 1
and N processes. Each process of an N-process run uses cores / N torch threads, so both
runs use every core. Results go to ``benchmarks/results/scale_out.json`` and a Markdown
table on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    BENCH_MODEL_SETTINGS,
    MODEL,
    apply_sizes,
    base_parser,
    isolated_environment,
    load_conll,
    machine,
    size_help,
    warn_if_busy,
)

FULL = {"train": 1000, "dev": 500}
QUICK = {"train": 64, "dev": 32}


def run(
    processes: int, strategy: str, train: Any, dev: Any, seed: int, out: Path
) -> dict[str, Any]:
    """Fine-tune in ``processes`` processes with training seed ``seed``; its dev F1, wall
    time and throughput."""
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter(MODEL)
    started = time.perf_counter()
    several = {"processes": processes, "strategy": strategy} if processes > 1 else 1
    result = interpreter.fine_tune(
        train_data=train,
        validation_data=dev,
        seed=seed,
        progress=False,
        output_dir=str(out / f"model-{processes}-seed-{seed}"),
        distributed=several,
        **BENCH_MODEL_SETTINGS,
    )
    wall = time.perf_counter() - started
    return {
        "processes": processes,
        "seed": seed,
        "dev_entity_f1": round(100 * result.after.metrics()["entity_f1"], 2),
        "wall_seconds": round(wall, 1),
        "train_seconds": round(result.training.train_seconds, 1),
        "samples_per_second": round(result.training.samples_per_second, 1),
        "steps": result.training.steps,
        "final_loss": round(result.training.history[-1]["loss"], 4),
    }


TARGET_POINTS = 0.5  # issue 21: N processes reach the same dev F1 within 0.5 points


def parity(rows: list[dict[str, Any]], processes: int) -> dict[str, Any]:
    """Each seed's F1 difference (N processes minus 1), their mean and spread, and whether
    the mean is within the target.

    ``spread`` is the sample standard deviation of the per-seed differences (0 for one
    seed) and ``standard_error`` that over the square root of the seed count.
    """
    import statistics

    f1 = {(r["processes"], r["seed"]): r["dev_entity_f1"] for r in rows}
    seeds = sorted({r["seed"] for r in rows})
    differences = [round(f1[processes, s] - f1[1, s], 2) for s in seeds]
    spread = statistics.stdev(differences) if len(differences) > 1 else 0.0
    mean = statistics.fmean(differences)
    return {
        "seeds": seeds,
        "mean_f1": {
            str(count): round(statistics.fmean(f1[count, s] for s in seeds), 2)
            for count in (1, processes)
        },
        "differences_points": differences,
        "mean_difference_points": round(mean, 2),
        "spread_points": round(spread, 2),
        "standard_error_points": round(spread / len(seeds) ** 0.5, 2),
        "target_points": TARGET_POINTS,
        "within_target": abs(mean) <= TARGET_POINTS,
    }


def main() -> None:
    parser = base_parser(__doc__)
    parser.add_argument(
        "--train", type=int, help=size_help("train sentences", "train", FULL, QUICK)
    )
    parser.add_argument("--dev", type=int, help=size_help("dev sentences", "dev", FULL, QUICK))
    parser.add_argument("--processes", type=int, default=2, help="the N of the N-process run")
    parser.add_argument(
        "--strategy", choices=["ddp", "fsdp"], default="ddp", help="how the N processes train"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[1, 2, 3],
        help="training seeds; each is one paired 1 vs N comparison (default 1 2 3)",
    )
    args = parser.parse_args()
    apply_sizes(args, FULL, QUICK)
    if args.processes < 2:
        parser.error("--processes must be at least 2 (the N-process run against 1)")
    info = machine()
    warn_if_busy(info)
    train = load_conll("train", args.train, args.seed)
    dev = load_conll("testa", args.dev, args.seed)
    with isolated_environment() as home:
        rows = [
            run(count, args.strategy, train, dev, seed, home)
            for seed in args.seeds
            for count in (1, args.processes)
        ]
    summary = parity(rows, args.processes)
    report = {
        "machine": info,
        "settings": {
            **BENCH_MODEL_SETTINGS,
            "model": MODEL,
            "data_seed": args.seed,
            "strategy": args.strategy,
        },
        "sizes": {"train": len(train), "dev": len(dev)},
        "runs": rows,
        "parity": summary,
    }
    if not args.quick:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / "scale_out.json").write_text(json.dumps(report, indent=2) + "\n")
    sizes = f"{len(train)} train / {len(dev)} dev sentences"
    print(f"\nminilm-l6, {sizes}, 1 epoch, {args.strategy}, {info['cores']} cores\n")
    print("| seed | processes | dev entity F1 | wall s | train s | samples/s | steps |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['seed']} | {r['processes']} | {r['dev_entity_f1']:.2f} | "
            f"{r['wall_seconds']} | {r['train_seconds']} | {r['samples_per_second']} | "
            f"{r['steps']} |"
        )
    n = args.processes
    print(
        f"\nmean dev F1: {summary['mean_f1']['1']:.2f} (1 process), "
        f"{summary['mean_f1'][str(n)]:.2f} ({n} processes); {n} minus 1 per seed: "
        f"{', '.join(f'{d:+.2f}' for d in summary['differences_points'])}; mean "
        f"{summary['mean_difference_points']:+.2f} points, spread (sd) "
        f"{summary['spread_points']:.2f}, standard error {summary['standard_error_points']:.2f}"
        f" → {'within' if summary['within_target'] else 'outside'} the "
        f"{TARGET_POINTS}-point target"
    )


if __name__ == "__main__":
    main()
