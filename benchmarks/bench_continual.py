"""Continual learning: forgetting, new-task score and wall time of each strategy, side by
side with naive sequential fine-tuning and joint retraining on all data so far.

    nice -n 10 .venv/bin/python benchmarks/bench_continual.py            # both sequences
    nice -n 10 .venv/bin/python benchmarks/bench_continual.py --sequence bbc --quick

Two task sequences with ``minilm-l6`` (seeded samples, sizes printed and saved):

- ``bbc``: class-incremental BBC News topics in three steps of new categories
  ({business, sports} → {politics, tech} → {entertainment}), accuracy on each step's
  held-out articles (the model predicts over every class seen so far);
- ``ner``: CoNLL-2003 (news) then WNUT-16 (tweets), entity F1 (seqeval, micro); WNUT's
  ``person`` and ``geo-loc`` are read as CoNLL's ``PER`` and ``LOC`` (``label_map``), its 8
  other types grow the head.

Each strategy continues the same first model, but ``lora-per-version``, which continues a
LoRA adapter model: its first step trains a LoRA adapter on the first task (same data, a
higher learning rate, as LoRA needs), and every later step a new adapter. "joint"
retrains ``minilm-l6`` from scratch on all training data so far at every step (the upper
bound). ``--strategies lora-per-version --no-joint`` runs one strategy and merges it into
the saved results. Results go to
``benchmarks/results/continual.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import isolated_environment, load_conll, machine

RESULTS = Path(__file__).parent / "results" / "continual.json"
STRATEGIES = ["naive", "replay", "ewc", "l2sp", "lora-per-version"]
LORA = "lora-per-version"
LORA_TRAINING = {"bbc": {"learning_rate": 1e-3}, "ner": {"learning_rate": 3e-3}}
"""LoRA (r 8, alpha 16 on the attention projections) learns at ten times the full model's rate."""
BBC_STEPS = [["business", "sports"], ["politics", "tech"], ["entertainment"]]
WNUT_AS_CONLL = {
    "B-person": "B-PER",
    "I-person": "I-PER",
    "B-geo-loc": "B-LOC",
    "I-geo-loc": "I-LOC",
}
FULL = {"bbc_train": 20, "bbc_eval": 10, "ner_train": 100, "ner_eval": 60}
QUICK = {"bbc_train": 16, "bbc_eval": 8, "ner_train": 48, "ner_eval": 24}
TRAINING = {
    "epochs": 2,
    "learning_rate": 1e-4,
    "batch_size": 16,
    "max_length": 64,
    "seed": 42,
    "progress": False,
    "num_threads": 1,
}
NER_TRAINING = {"epochs": 4, "learning_rate": 3e-4, "batch_size": 8}
"""NER learns slower from a hundred sentences than topics from forty articles."""
PER_STRATEGY = {
    "replay": {"replay_size": 30},
    "ewc": {"ewc_lambda": 20000.0, "fisher_samples": 100},
    "l2sp": {"l2sp_alpha": 0.5},
}


def bbc_steps(per_class_train: int, per_class_eval: int, seed: int) -> list[dict[str, Any]]:
    """Per step: its new topics' articles, split (seeded) into train and evaluation."""
    from open_interpreter.data.packaged import bbc_news

    data = bbc_news()
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(data.labels):
        by_label[str(label)].append(i)
    rng = random.Random(seed)
    steps = []
    for topics in BBC_STEPS:
        train, held = [], []
        for topic in topics:
            chosen = rng.sample(by_label[topic], per_class_train + per_class_eval)
            train += chosen[:per_class_train]
            held += chosen[per_class_train:]
        steps.append(
            {"name": "+".join(topics), "train": data.subset(train), "eval": data.subset(held)}
        )
    return steps


def ner_steps(n_train: int, n_eval: int, seed: int) -> list[dict[str, Any]]:
    """CoNLL-2003 (train sample, dev sample), then WNUT-16 (a seeded train / eval split)."""
    from open_interpreter.continual.labels import relabelled
    from open_interpreter.data.packaged import wnut16

    wnut = relabelled(wnut16(), WNUT_AS_CONLL)
    order = random.Random(seed).sample(range(len(wnut)), n_train + n_eval)
    return [
        {
            "name": "conll2003",
            "train": load_conll("train", n_train, seed),
            "eval": load_conll("testa", n_eval, seed),
        },
        {
            "name": "wnut16",
            "train": wnut.subset(sorted(order[:n_train])),
            "eval": wnut.subset(sorted(order[n_train:])),
        },
    ]


def run_strategy(
    first: Path, steps: list[dict[str, Any]], strategy: str, home: Path, extra: dict[str, Any]
) -> dict:
    """Continue the first model through the later steps with ``strategy``."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training

    path, seconds, trained = first, [], []
    for k, step in enumerate(steps[1:], start=1):
        bundle = ModelBundle.load(path)
        result = continue_training(
            bundle,
            step["train"],
            validation_data=step["eval"],
            strategy=strategy,
            task_name=step["name"],
            output_dir=home / f"{strategy}-{k}",
            **{**TRAINING, **extra},
            **PER_STRATEGY.get(strategy, {}),
        )
        seconds.append(round(result.seconds, 1))
        trained.append(result.report.steps[-1]["trained_on"])
        path = result.path
    report = result.report.to_dict()
    return {**report, "step_seconds": seconds, "trained_on": trained}


def run_joint(steps: list[dict[str, Any]], metric: str) -> dict:
    """Retrain minilm-l6 from scratch on all training data so far, at every later step."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import scores_on
    from open_interpreter.continual.examples import joined
    from open_interpreter.training.recipe import fine_tune

    matrix, seconds, trained = [], [], []
    for k in range(1, len(steps)):
        started = time.perf_counter()
        train = steps[0]["train"]
        for step in steps[1 : k + 1]:
            train = joined(train, step["train"])
        bundle = ModelBundle(model_name="minilm-l6")
        bundle.config = bundle.config.updated(**TRAINING, model="minilm-l6")
        fine_tune(bundle, train, validation_data=steps[k]["eval"])
        matrix.append(scores_on(bundle, [s["eval"] for s in steps[: k + 1]], metric))
        seconds.append(round(time.perf_counter() - started, 1))
        trained.append(len(train))
    return {"matrix": matrix, "step_seconds": seconds, "trained_on": trained}


def first_step(name: str, steps: list[dict[str, Any]], home: Path, **options: Any) -> Any:
    """The first task, trained from ``minilm-l6`` (as a LoRA adapter with ``strategy``)."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training

    print(f"[{name}] first step on {len(steps[0]['train'])} examples {options}", file=sys.stderr)
    return continue_training(
        ModelBundle(model_name="minilm-l6"),
        steps[0]["train"],
        validation_data=steps[0]["eval"],
        task_name=steps[0]["name"],
        output_dir=home / ("first-lora" if options else "first"),
        **{**TRAINING, **options.pop("training", {})},
        **options,
    )


def run_sequence(
    name: str, steps: list[dict[str, Any]], home: Path, strategies: list[str], joint: bool
) -> dict:
    out: dict[str, Any] = {
        "training": dict(TRAINING),
        "sizes": [
            {"task": s["name"], "train": len(s["train"]), "eval": len(s["eval"])} for s in steps
        ],
        "strategies": {},
    }
    first = None
    if any(strategy != LORA for strategy in strategies):
        first = first_step(name, steps, home)
        out["first"] = {"matrix": first.report.matrix, "seconds": round(first.seconds, 1)}
        out["metric"] = first.report.metric
    for strategy in strategies:
        print(f"[{name}] {strategy}", file=sys.stderr)
        start, extra = first, {}
        if strategy == LORA:
            extra = LORA_TRAINING[name]
            start = first_step(name, steps, home, strategy=LORA, training=extra)
            out["metric"] = start.report.metric
        result = run_strategy(start.path, steps, strategy, home, extra)
        out["strategies"][strategy] = {
            **result,
            "first_seconds": round(start.seconds, 1),
            "learning_rate": {**TRAINING, **extra}["learning_rate"],
        }
    if joint:
        print(f"[{name}] joint", file=sys.stderr)
        out["joint"] = run_joint(steps, out["metric"])
    shutil.rmtree(home, ignore_errors=True)
    return out


def table(name: str, result: dict) -> str:
    """The sequence's results as a Markdown table: one row per strategy."""
    tasks = [s["task"] for s in result["sizes"]]
    metric = result["metric"]
    lines = [
        f"### {name} ({metric}; "
        + ", ".join(f"{s['task']}: {s['train']} train / {s['eval']} eval" for s in result["sizes"])
        + ")",
        "",
        "| strategy | "
        + " | ".join(f"{t} after last" for t in tasks)
        + " | average | mean forgetting | BWT | s per step | examples per step |",
        "|---|" + "---:|" * (len(tasks) + 5),
    ]
    for strategy, r in result["strategies"].items():
        last = r["matrix"][-1]
        lines.append(
            f"| {strategy} | "
            + " | ".join(f"{v:.3f}" for v in last)
            + f" | {r['average']:.3f} | {r['mean_forgetting']:.3f} | {r['backward_transfer']:.3f}"
            + f" | {_steps(r['step_seconds'])} | {_steps(r['trained_on'])} |"
        )
    if "joint" not in result:
        return "\n".join(lines) + "\n"
    joint = result["joint"]
    last = joint["matrix"][-1]
    lines.append(
        "| joint (retrain) | "
        + " | ".join(f"{v:.3f}" for v in last)
        + f" | {sum(last) / len(last):.3f} | – | – | {' / '.join(map(str, joint['step_seconds']))}"
        + f" | {' / '.join(map(str, joint['trained_on']))} |"
    )
    return "\n".join(lines) + "\n"


def _steps(values: list[Any]) -> str:
    return " / ".join(map(str, values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequence", choices=["bbc", "ner", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help=f"tiny sizes {QUICK} (smoke run)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (all phases)")
    parser.add_argument(
        "--strategies", nargs="+", choices=STRATEGIES, default=STRATEGIES, help="which to run"
    )
    parser.add_argument("--no-joint", action="store_true", help="skip joint retraining")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    TRAINING["num_threads"] = args.threads
    sizes = QUICK if args.quick else FULL
    info = machine()
    results: dict[str, Any] = {
        "command": " ".join(sys.argv[1:]),
        "machine": info,
        "sizes": sizes,
        "training": TRAINING,
        "strategies": PER_STRATEGY,
    }
    with isolated_environment() as home:
        if args.sequence in ("bbc", "both"):
            steps = bbc_steps(sizes["bbc_train"], sizes["bbc_eval"], args.seed)
            results["bbc"] = run_sequence(
                "bbc", steps, home / "bbc", args.strategies, not args.no_joint
            )
            print(table("BBC News, class-incremental", results["bbc"]))
        if args.sequence in ("ner", "both"):
            TRAINING.update(NER_TRAINING)
            steps = ner_steps(sizes["ner_train"], sizes["ner_eval"], args.seed)
            results["ner"] = run_sequence(
                "ner", steps, home / "ner", args.strategies, not args.no_joint
            )
            print(table("CoNLL-2003 → WNUT-16", results["ner"]))
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        if args.strategies == STRATEGIES and not args.no_joint:
            previous.update(results)
        else:  # a partial run: its strategies join the saved ones, the rest is kept
            for sequence in ("bbc", "ner"):
                if sequence in results and sequence in previous:
                    previous[sequence]["strategies"].update(results[sequence]["strategies"])
                elif sequence in results:
                    previous[sequence] = results[sequence]
            previous.setdefault("partial_runs", []).append(
                {"command": results["command"], "machine": results["machine"]}
            )
        RESULTS.write_text(json.dumps(previous, indent=1) + "\n")


if __name__ == "__main__":
    main()
