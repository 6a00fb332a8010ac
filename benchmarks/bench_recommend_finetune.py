"""The hybrid with its encoder fine-tuned (``hybrid-ft``) against the hybrid, on MovieLens-100K.

    nice -n 10 .venv/bin/python benchmarks/bench_recommend_finetune.py   # the docs' figures
    nice -n 10 .venv/bin/python benchmarks/bench_recommend_finetune.py --steps 5 --epochs 1  # smoke
    nice -n 10 .venv/bin/python benchmarks/bench_recommend_finetune.py --layers 0 --tuned-only \
        --out benchmarks/results/recommend_finetune_control.json   # encoder frozen: the control

Both models train the same first stage with the same seed (the hybrid: the encoder's
fixed ``minilm-l6`` vectors, a low-rank update, per-item corrections, user vectors;
``--epochs`` passes); ``hybrid-ft`` then unfreezes the encoder's top ``--layers`` layers
and trains them with the towers for ``--steps`` more steps. So the difference between the
rows is the second stage. Leave-last-out (943 test users) and the cold-start split
(10% of the items with 5+ interactions hidden, seed 0), full ranking, 95% bootstrap
intervals over test users (1,000 resamples). Results go to
``benchmarks/results/recommend_finetune.json`` and Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from open_interpreter.apps.recommend import (
    FineTunedTwoTower,
    TwoTower,
    cold_start_split,
    embed_items,
    evaluate_ranking,
    leave_last_out,
    load_movielens_100k,
)
from open_interpreter.paths import oi_home

RESULTS = Path(__file__).parent / "results" / "recommend_finetune.json"
METRICS = ["recall@10", "ndcg@10", "mrr", "coverage@10"]


def _evaluate(name: str, model, split, data, seed: int) -> dict:
    model.fit(split.train, data.item_text, seed=seed)
    report = evaluate_ranking(model.score, split, seed=seed)
    row = {
        "model": name,
        "seed": seed,
        "users": report.users,
        "metrics": report.metrics,
        "intervals": {m: list(v) for m, v in report.intervals.items()},
        "train_seconds": model.train_seconds,
        "encoder_seconds": getattr(model, "encoder_seconds", 0.0),
        "encoder_shift": getattr(model, "encoder_shift", 0.0),
    }
    print(
        f"  {name} seed {seed}: {json.dumps({m: round(report.metrics[m], 4) for m in METRICS})} "
        f"train {model.train_seconds:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    return row


def _table(title: str, rows: list[dict]) -> str:
    lines = [
        f"#### {title}",
        "",
        "| model | seed | " + " | ".join(METRICS) + " | train s | encoder shift |",
        "|---|---:|" + "---:|" * (len(METRICS) + 2),
    ]
    for row in rows:
        cells = []
        for name in METRICS:
            low_high = row["intervals"].get(name)
            value = row["metrics"][name]
            cells.append(
                f"{value:.4f} [{low_high[0]:.4f}, {low_high[1]:.4f}]"
                if low_high
                else f"{value:.4f}"
            )
        lines.append(
            f"| {row['model']} | {row['seed']} | "
            + " | ".join(cells)
            + f" | {row['train_seconds']:.0f} | {row['encoder_shift']:.4f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="first-stage passes (both models)")
    parser.add_argument("--steps", type=int, default=100, help="hybrid-ft's encoder steps")
    parser.add_argument("--layers", type=int, default=1, help="encoder layers unfrozen")
    parser.add_argument("--encoder-lr", type=float, default=5e-5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--tuned-only", action="store_true", help="skip the hybrid rows (e.g. with --layers 0)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    data = load_movielens_100k()
    vectors = embed_items(
        data.item_text, "minilm-l6", cache_dir=oi_home() / "cache" / "item-vectors"
    )

    def hybrid() -> TwoTower:
        return TwoTower(item_embeddings=vectors, epochs=args.epochs)

    def tuned() -> FineTunedTwoTower:
        return FineTunedTwoTower(
            item_embeddings=vectors,
            epochs=args.epochs,
            encoder_steps=args.steps,
            unfrozen_layers=args.layers,
            encoder_learning_rate=args.encoder_lr,
        )

    settings = {**vars(args), "out": str(args.out), "hybrid-ft": tuned()._config()}
    results: dict = {"settings": {**settings, "threads": 1}}
    label = "hybrid-ft" if args.layers else "hybrid-ft, encoder frozen"
    models = [("hybrid", hybrid), (label, tuned)][1 if args.tuned_only else 0 :]
    splits = {
        "leave_last_out": leave_last_out(data.interactions),
        "cold_start": cold_start_split(data.interactions, share=0.1, seed=0, min_interactions=5),
    }
    for name, split in splits.items():
        print(name, file=sys.stderr)
        results[name] = [
            _evaluate(kind, build(), split, data, seed)
            for seed in args.seeds
            for kind, build in models
        ]
    results["total_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(_table("Leave-last-out, 943 users", results["leave_last_out"]))
    print()
    print(_table("Cold start", results["cold_start"]))
    print(f"\ntotal {results['total_seconds']:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
