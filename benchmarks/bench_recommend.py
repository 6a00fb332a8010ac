"""Recommenders on MovieLens-100K: every model under one full-ranking evaluator.

    nice -n 10 .venv/bin/python benchmarks/bench_recommend.py             # the docs' figures
    nice -n 10 .venv/bin/python benchmarks/bench_recommend.py --quick     # 1 seed, fewer epochs

Three protocols, all ranking every item the user has not interacted with:

1. leave-last-out (each user's last interaction by time is the test, the second last
   validation): popular, item-kNN, BPR, content (``minilm-l6`` item vectors), hybrid;
   the trained models over several seeds;
2. cold start: 10% of the items with 5+ interactions (seeded) hidden from training;
   each test user ranks the hidden items only; random, popular, BPR, content, hybrid;
3. RecBole's quick-start protocol (per-user random 80/10/10 split), for popular,
   item-kNN and BPR, to set beside RecBole's published BPR figure on the same data.

Recall@10, NDCG@10, MRR (uncut) and MRR@10 with 95% bootstrap intervals over test users
(1,000 resamples), coverage@10, training seconds. Results go to
``benchmarks/results/recommend.json`` and Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from open_interpreter.apps.recommend import (
    BPR,
    ContentModel,
    ItemKNN,
    MostPopular,
    TwoTower,
    cold_start_split,
    embed_items,
    evaluate_ranking,
    leave_last_out,
    load_movielens_100k,
    random_split,
)
from open_interpreter.paths import oi_home

RESULTS = Path(__file__).parent / "results" / "recommend.json"


def _row(name: str, reports: list, seconds: list[float]) -> dict:
    """Mean over seeds of each metric, the first seed's bootstrap intervals, seed spread."""
    metrics = {m: float(np.mean([r.metrics[m] for r in reports])) for m in reports[0].metrics}
    spread = {m: float(np.std([r.metrics[m] for r in reports])) for m in reports[0].metrics}
    return {
        "model": name,
        "seeds": len(reports),
        "users": reports[0].users,
        "metrics": metrics,
        "seed_std": spread,
        "intervals": {m: list(v) for m, v in reports[0].intervals.items()},
        "train_seconds": float(np.mean(seconds)),
    }


def _run(name: str, build, split, data, seeds: list[int]) -> dict:
    reports, seconds = [], []
    for seed in seeds:
        model = build().fit(split.train, data.item_text, seed=seed)
        reports.append(evaluate_ranking(model.score, split, seed=seed))
        seconds.append(model.train_seconds)
    row = _row(name, reports, seconds)
    print(
        f"  {name}: {json.dumps({k: round(v, 4) for k, v in row['metrics'].items()})} "
        f"train {row['train_seconds']:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return row


class RandomScores:
    """Uniform random scores: the floor any ranking must beat."""

    kind = "random"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)
        self.train_seconds = 0.0

    def fit(self, train, item_text=None, *, seed: int = 0) -> RandomScores:
        self.rng, self.n_items = np.random.default_rng(seed), train.n_items
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.rng.random((len(users), self.n_items))


def _table(title: str, rows: list[dict]) -> str:
    names = ["recall@10", "ndcg@10", "mrr", "mrr@10", "coverage@10"]
    lines = [
        f"### {title}",
        "",
        "| model | " + " | ".join(names) + " | train s | seeds |",
        "|---|" + "---:|" * (len(names) + 2),
    ]
    for row in rows:
        cells = []
        for name in names:
            value = row["metrics"][name]
            low_high = row["intervals"].get(name)
            cells.append(
                f"{value:.4f} [{low_high[0]:.4f}, {low_high[1]:.4f}]"
                if low_high
                else f"{value:.4f}"
            )
        lines.append(
            f"| {row['model']} | "
            + " | ".join(cells)
            + f" | {row['train_seconds']:.1f} | {row['seeds']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed and fewer epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small models: one thread is faster than two on a shared machine
    seeds = [0] if args.quick else [0, 1, 2]
    hybrid_epochs = 3 if args.quick else 8
    started = time.perf_counter()
    data = load_movielens_100k()
    encode_started = time.perf_counter()
    vectors = embed_items(
        data.item_text, "minilm-l6", cache_dir=oi_home() / "cache" / "item-vectors"
    )
    encode_seconds = time.perf_counter() - encode_started

    def hybrid() -> TwoTower:
        return TwoTower(item_embeddings=vectors, epochs=hybrid_epochs)

    def content() -> ContentModel:
        return ContentModel(item_embeddings=vectors)

    def bpr() -> BPR:
        return BPR(epochs=60)

    results: dict = {
        "settings": {
            "data": "MovieLens-100K (recbole==1.2.1 atomic files), every rating an interaction",
            "seeds": seeds,
            "bpr": BPR(epochs=60)._config(),
            "hybrid": hybrid()._config(),
            "item_text_encoding_seconds": encode_seconds,
            "torch_threads": 1,
            "machine": f"{platform.machine()}, shared CPU",
            "k": 10,
            "bootstrap": 1000,
        }
    }
    print("leave-last-out", file=sys.stderr)
    split = leave_last_out(data.interactions)
    results["leave_last_out"] = [
        _run("popular", MostPopular, split, data, [0]),
        _run("itemknn", ItemKNN, split, data, [0]),
        _run("bpr", bpr, split, data, seeds),
        _run("content", content, split, data, [0]),
        _run("hybrid", hybrid, split, data, seeds),
    ]
    print("cold start", file=sys.stderr)
    cold = cold_start_split(data.interactions, share=0.1, seed=0, min_interactions=5)
    results["cold_start"] = [
        _run("random", RandomScores, cold, data, [0, 1, 2]),
        _run("popular", MostPopular, cold, data, [0]),
        _run("bpr", bpr, cold, data, [0]),
        _run("content", content, cold, data, [0]),
        _run("hybrid", hybrid, cold, data, seeds[:2]),
    ]
    results["cold_start_items"] = int(cold.candidates.sum())
    print("RecBole quick-start protocol", file=sys.stderr)
    recbole_split = random_split(data.interactions, seed=0)
    results["recbole_protocol"] = [
        _run("popular", MostPopular, recbole_split, data, [0]),
        _run("itemknn", ItemKNN, recbole_split, data, [0]),
        _run("bpr", bpr, recbole_split, data, seeds[:1]),
    ]
    results["total_seconds"] = time.perf_counter() - started
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.quick:
        RESULTS.write_text(json.dumps(results, indent=2))
    print(
        _table(
            f"Leave-last-out, {results['leave_last_out'][0]['users']} users",
            results["leave_last_out"],
        )
    )
    print()
    print(_table(f"Cold start, {results['cold_start_items']} hidden items", results["cold_start"]))
    print()
    print(
        _table(
            "RecBole quick-start protocol (random 80/10/10 per user)", results["recbole_protocol"]
        )
    )
    print(f"\ntotal {results['total_seconds']:.0f}s; item text encoded in {encode_seconds:.1f}s")


if __name__ == "__main__":
    main()
