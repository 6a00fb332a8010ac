"""Our ``tune`` against Hugging Face ``Trainer.hyperparameter_search(backend="optuna")``:
the same search space, trial budget, data split, seed and metric; best score and wall time.

    nice -n 10 .venv/bin/python benchmarks/bench_hpo_vs_trainer.py            # 4 trials, 400/300
    nice -n 10 .venv/bin/python benchmarks/bench_hpo_vs_trainer.py --quick    # a smoke run
    nice -n 10 .venv/bin/python benchmarks/bench_hpo_vs_trainer.py \\
        --train 2000 --dev 3250 --trials 16 --epochs 3                         # full size

``minilm-l6`` (fp32, CPU) on a seeded subset of CoNLL-2003 ``eng.train``; every trial of
both searches is scored on the same seeded subset of ``eng.testa`` by entity F1 (micro,
seqeval strict mode, IOB2, words labelled by their first sub-word). Both searches sample
with Optuna's TPE seeded alike, over the same parameter names in the same order, without
a pruner and without our baseline trial, so with fewer trials than TPE's 10 random start-up
trials both draw the same settings and the comparison isolates the two training loops.
Each trial trains ``--epochs`` epochs and is scored after each. Wall and CPU seconds
(the process's, all threads) cover each whole search, model loading included; on a
machine other work keeps busy, CPU seconds compare better than wall time. Results go to
``benchmarks/results/hpo_vs_trainer.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import (
    MODEL,
    apply_sizes,
    base_parser,
    isolated_environment,
    load_conll,
    machine,
    model_path,
    size_help,
    warn_if_busy,
)

FULL = {"train": 400, "dev": 300, "trials": 4, "epochs": 1}
QUICK = {"train": 48, "dev": 24, "trials": 2, "epochs": 1}

# The token-classification default space (docs/hpo.md) less epochs, which the budget
# fixes, and dropout, which TrainingArguments cannot set.
SPACE: dict[str, Any] = {
    "learning_rate": {"low": 1e-5, "high": 3e-4, "log": True},
    "batch_size": [8, 16, 32],
    "warmup_ratio": {"low": 0.0, "high": 0.2},
    "weight_decay": {"low": 0.0, "high": 0.1},
}
MAX_LENGTH = 256  # FineTuneConfig's default, used on both sides
EVAL_BATCH = 64


def ours(train: Any, dev: Any, args: Any, home: Path) -> dict[str, Any]:
    """Our study: ``OpenInterpreter.tune`` with the space, no baseline, no pruner."""
    from open_interpreter import OpenInterpreter

    started, cpu = time.perf_counter(), time.process_time()
    study = OpenInterpreter(MODEL).tune(
        train_data=train,
        validation_data=dev,
        search_space=SPACE,
        n_trials=args.trials,
        metric="entity_f1",
        pruner=None,
        sampler="tpe",
        baseline=False,
        name="bench-ours",
        storage=f"sqlite:///{home / 'studies.db'}",
        epochs=args.epochs,
        seed=args.seed,
        num_threads=args.threads,
        max_length=MAX_LENGTH,
        eval_batch_size=EVAL_BATCH,
        progress=False,
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "side": "open_interpreter.tune",
        "best_entity_f1": round(100 * study.best_value, 2),
        "best_trial": study.best_trial,
        "best_params": study.best_params,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "trials": [
            {"number": t.number, "params": t.params, "entity_f1": round(100 * t.value, 2)}
            for t in study.trials
            if t.value is not None
        ],
    }


def trainers(train: Any, dev: Any, args: Any, home: Path) -> dict[str, Any]:
    """Hugging Face's search: ``Trainer.hyperparameter_search`` with ``model_init``."""
    import numpy as np
    import optuna
    import torch
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    from open_interpreter.tasks.token_classification import label_set

    torch.set_num_threads(args.threads)
    path = str(model_path())
    labels = label_set(train)
    label2id = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(path)

    def encode(examples: Any) -> list[dict[str, Any]]:
        rows = []
        for words, tags in zip(examples.tokens, examples.tags, strict=True):
            enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=MAX_LENGTH)
            seen, ids = set(), []
            for word in enc.word_ids():
                first = word is not None and word not in seen
                ids.append(label2id.get(tags[word], 0) if first else -100)
                seen.add(word)
            rows.append({**enc, "labels": ids})
        return rows

    gold = [list(tags) for tags in dev.tags]

    def compute_metrics(prediction: Any) -> dict[str, float]:
        best = np.argmax(prediction.predictions, axis=-1)
        predicted = []
        for row, label_row, tags in zip(best, prediction.label_ids, gold, strict=True):
            words = [labels[p] for p, g in zip(row, label_row, strict=True) if g != -100]
            predicted.append(words + ["O"] * (len(tags) - len(words)))  # truncated words
        score = f1_score(gold, predicted, mode="strict", scheme=IOB2, zero_division=0)
        return {"entity_f1": float(score)}

    def model_init(_trial: Any = None) -> Any:
        return AutoModelForTokenClassification.from_pretrained(
            path,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id=label2id,
            dtype=torch.float32,
        )

    def hp_space(trial: Any) -> dict[str, Any]:
        # The same names, ranges and order as our space, so TPE draws alike.
        values = {
            "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-4, log=True),
            "batch_size": trial.suggest_categorical("batch_size", [8, 16, 32]),
            "warmup_ratio": trial.suggest_float("warmup_ratio", 0.0, 0.2),
            "weight_decay": trial.suggest_float("weight_decay", 0.0, 0.1),
        }
        return {
            "learning_rate": values["learning_rate"],
            "per_device_train_batch_size": values["batch_size"],
            "warmup_steps": values["warmup_ratio"],  # a float below 1 is a ratio
            "weight_decay": values["weight_decay"],
        }

    training_args = TrainingArguments(
        output_dir=str(home / "trainer"),
        num_train_epochs=args.epochs,
        per_device_eval_batch_size=EVAL_BATCH,
        warmup_steps=0.0,  # a float, so a trial's ratio is not cast to int steps
        eval_strategy="epoch",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=args.seed,
        disable_tqdm=True,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
    )
    started, cpu = time.perf_counter(), time.process_time()
    trainer = Trainer(
        args=training_args,
        train_dataset=encode(train),
        eval_dataset=encode(dev),
        data_collator=DataCollatorForTokenClassification(tokenizer),
        model_init=model_init,
        compute_metrics=compute_metrics,
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials: list[dict[str, Any]] = []

    def objective(metrics: dict[str, float]) -> float:
        return metrics["eval_entity_f1"]

    best = trainer.hyperparameter_search(
        hp_space=hp_space,
        compute_objective=objective,
        n_trials=args.trials,
        direction="maximize",
        backend="optuna",
        sampler=optuna.samplers.TPESampler(seed=args.seed),
        pruner=optuna.pruners.NopPruner(),
        study_name="bench-trainer",
        storage=f"sqlite:///{home / 'trainer-studies.db'}",
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    study = optuna.load_study(
        study_name="bench-trainer", storage=f"sqlite:///{home / 'trainer-studies.db'}"
    )
    for t in study.trials:
        if t.value is not None:
            trials.append(
                {"number": t.number, "params": t.params, "entity_f1": round(100 * t.value, 2)}
            )
    return {
        "side": "Trainer.hyperparameter_search",
        "best_entity_f1": round(100 * best.objective, 2),
        "best_trial": int(best.run_id),
        "best_params": best.hyperparameters,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "trials": trials,
    }


def main() -> None:
    parser = base_parser(__doc__)
    parser.add_argument(
        "--train", type=int, help=size_help("train sentences", "train", FULL, QUICK)
    )
    parser.add_argument("--dev", type=int, help=size_help("dev sentences", "dev", FULL, QUICK))
    parser.add_argument("--trials", type=int, help=size_help("trials", "trials", FULL, QUICK))
    parser.add_argument(
        "--epochs", type=int, help=size_help("epochs per trial", "epochs", FULL, QUICK)
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    apply_sizes(args, FULL, QUICK)
    info = machine()
    warn_if_busy(info)
    train = load_conll("train", args.train, args.seed)
    dev = load_conll("testa", args.dev, args.seed)
    with isolated_environment() as home:
        rows = [ours(train, dev, args, home), trainers(train, dev, args, home)]
    report = {
        "machine": info,
        "settings": {
            "model": MODEL,
            "precision": "fp32",
            "device": "cpu",
            "threads": args.threads,
            "seed": args.seed,
            "epochs_per_trial": args.epochs,
            "trials": args.trials,
            "max_length": MAX_LENGTH,
            "eval_batch_size": EVAL_BATCH,
            "space": SPACE,
            "sampler": "TPE (seed as above)",
            "pruner": "none",
        },
        "sizes": {"train": len(train), "dev": len(dev)},
        "runs": rows,
        "f1_difference_points": round(rows[0]["best_entity_f1"] - rows[1]["best_entity_f1"], 2),
        "wall_ratio": round(rows[0]["wall_seconds"] / rows[1]["wall_seconds"], 2),
        "cpu_ratio": round(rows[0]["cpu_seconds"] / rows[1]["cpu_seconds"], 2),
    }
    if not args.quick:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / "hpo_vs_trainer.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"minilm-l6 fp32 on CPU ({args.threads} threads), {len(train)} train / {len(dev)} dev "
        f"sentences, {args.trials} trials x {args.epochs} epoch(s), {info['cores']} cores\n"
    )
    print("| search | best dev entity F1 | best trial | wall s | CPU s |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['side']} | {r['best_entity_f1']:.2f} | {r['best_trial']} | "
            f"{r['wall_seconds']} | {r['cpu_seconds']} |"
        )
    print("\n| search | trial | entity F1 | settings |")
    print("|---|---|---|---|")
    for r in rows:
        for t in r["trials"]:
            params = ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in t["params"].items()
            )
            print(f"| {r['side']} | {t['number']} | {t['entity_f1']:.2f} | {params} |")


if __name__ == "__main__":
    main()
