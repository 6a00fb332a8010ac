"""Distributed training: the same fine-tune in 1 process and in N DDP processes (gloo on
CPU, nccl on CUDA), with the same global batch and seed: dev entity F1 and wall time.

    nice -n 10 .venv/bin/python benchmarks/bench_scale_out.py            # 1,000 sentences
    nice -n 10 .venv/bin/python benchmarks/bench_scale_out.py --quick    # a smoke run

``minilm-l6`` on a seeded CoNLL-2003 subset (``eng.train``; dev: a seeded subset of
``eng.testa``), 1 epoch, batch 16, lr 1e-4 (the benchmark model's settings), scored by
the platform's seqeval entity F1 (micro) on the dev subset after training. Each process
of an N-process run uses cores / N torch threads, so both runs use every core. Results go
to ``benchmarks/results/scale_out.json`` and a Markdown table on stdout.
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


def run(processes: int, train: Any, dev: Any, seed: int, out: Path) -> dict[str, Any]:
    """Fine-tune in ``processes`` processes; its dev F1, wall time and throughput."""
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter(MODEL)
    started = time.perf_counter()
    result = interpreter.fine_tune(
        train_data=train,
        validation_data=dev,
        seed=seed,
        progress=False,
        output_dir=str(out / f"model-{processes}"),
        distributed=processes,
        **BENCH_MODEL_SETTINGS,
    )
    wall = time.perf_counter() - started
    return {
        "processes": processes,
        "dev_entity_f1": round(100 * result.after.metrics()["entity_f1"], 2),
        "wall_seconds": round(wall, 1),
        "train_seconds": round(result.training.train_seconds, 1),
        "samples_per_second": round(result.training.samples_per_second, 1),
        "steps": result.training.steps,
        "final_loss": round(result.training.history[-1]["loss"], 4),
    }


def main() -> None:
    parser = base_parser(__doc__)
    parser.add_argument(
        "--train", type=int, help=size_help("train sentences", "train", FULL, QUICK)
    )
    parser.add_argument("--dev", type=int, help=size_help("dev sentences", "dev", FULL, QUICK))
    parser.add_argument("--processes", type=int, default=2, help="the N of the N-process run")
    args = parser.parse_args()
    apply_sizes(args, FULL, QUICK)
    info = machine()
    warn_if_busy(info)
    train = load_conll("train", args.train, args.seed)
    dev = load_conll("testa", args.dev, args.seed)
    with isolated_environment() as home:
        rows = [run(p, train, dev, args.seed, home) for p in (1, args.processes)]
    report = {
        "machine": info,
        "settings": {**BENCH_MODEL_SETTINGS, "model": MODEL, "seed": args.seed},
        "sizes": {"train": len(train), "dev": len(dev)},
        "runs": rows,
        "f1_difference_points": round(rows[1]["dev_entity_f1"] - rows[0]["dev_entity_f1"], 2),
        "speedup": round(rows[0]["wall_seconds"] / rows[1]["wall_seconds"], 2),
    }
    if not args.quick:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / "scale_out.json").write_text(json.dumps(report, indent=2) + "\n")
    sizes = f"{len(train)} train / {len(dev)} dev sentences"
    print(f"minilm-l6, {sizes}, 1 epoch, {info['cores']} cores\n")
    print("| processes | dev entity F1 | wall s | train s | samples/s | steps |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['processes']} | {r['dev_entity_f1']:.2f} | {r['wall_seconds']} | "
            f"{r['train_seconds']} | {r['samples_per_second']} | {r['steps']} |"
        )


if __name__ == "__main__":
    main()
