"""The sentence-pair re-ranker on MovieLens-100K: its gain over the hybrid's first order.

    nice -n 10 .venv/bin/python benchmarks/bench_recommend_rerank.py
    nice -n 10 .venv/bin/python benchmarks/bench_recommend_rerank.py --users 60  # a smoke run

Leave-last-out. The hybrid (``--hybrid-epochs``) is fitted on the training interactions
and proposes each user's top ``--candidates`` unseen items; ``minilm-l6`` is fine-tuned
with the platform's sentence-pair head on half of the sampled users' validation items
(their last ``--recent`` items as text, a candidate's text → next or not; 1 positive and
``--negatives`` candidates each); a logistic final ranker over the pair probability, the
retrieval score, log popularity and recency is fitted on the other half's validation
items; both orders are scored on the sampled users' test items. Results go to
benchmarks/results/recommend_rerank.json.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from common import RESULTS_DIR, machine

from open_interpreter.apps.recommend import (
    TwoTower,
    embed_items,
    leave_last_out,
    load_movielens_100k,
)
from open_interpreter.apps.recommend._rerank import evaluate_reranker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--negatives", type=int, default=3)
    parser.add_argument("--recent", type=int, default=3)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--hybrid-epochs", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=Path.home() / ".open_interpreter" / "cache" / "item-vectors",
    )
    args = parser.parse_args()
    data = load_movielens_100k()
    split = leave_last_out(data.interactions)
    vectors = embed_items(data.item_text, cache_dir=args.vector_cache)
    started = time.perf_counter()
    hybrid = TwoTower(item_embeddings=vectors, epochs=args.hybrid_epochs)
    hybrid.fit(split.train, data.item_text, seed=args.seed)
    print(f"hybrid fitted in {time.perf_counter() - started:.1f}s", flush=True)
    report = evaluate_reranker(
        split,
        data.item_text,
        hybrid,
        "minilm-l6",
        candidates=args.candidates,
        negatives=args.negatives,
        recent=args.recent,
        users=args.users,
        epochs=args.epochs,
        max_length=args.max_length,
        seed=args.seed,
        num_threads=1,
    )
    result = {
        "machine": machine(),
        "settings": {**vars(args), "vector_cache": "…", "hybrid_epochs": args.hybrid_epochs},
        "seconds": round(time.perf_counter() - started, 1),
        **asdict(report),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "recommend_rerank.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {k: result[k] for k in ("first_order", "reranked", "gain", "intervals", "weights")},
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
