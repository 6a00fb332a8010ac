"""Fine-tuning NER: Open Interpreter against the Hugging Face Trainer recipe.

    .venv/bin/python benchmarks/bench_training.py            # ~14 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/bench_training.py --quick    # smoke run, tiny sizes

Same model files (minilm-l6), same seeded CoNLL-2003 subset, batch 16, lr 5e-5, same
epochs; every other setting is each side's own default. Each run in its own process so
that peak RSS is its own, alternated over rounds (A B C, C B A), one training seed per
round (3 rounds: F1 is a mean over 3 seeds):

- ``ours``: ``OpenInterpreter("minilm-l6").fine_tune(...)`` (bf16 autocast where the CPU
  has native bf16, length-grouped batches: its defaults);
- ``hf-fp32``: ``AutoModelForTokenClassification`` + ``DataCollatorForTokenClassification``
  + ``Trainer``, fp32, labels on first sub-tokens (the Hugging Face token-classification
  guide), no checkpoints, no evaluation during training;

and, only where the CPU computes bf16 natively (elsewhere bf16 is emulated, many times
slower, and nobody trains so):

- ``ours-fp32``: ours with ``precision="fp32"``, so that fp32 is compared with fp32;
- ``hf-bf16``: the Trainer with ``bf16=True`` (autocast; the weights stay fp32) and
  length-grouped sampling (``group_by_length``, spelled
  ``train_sampling_strategy="group_by_length"`` in transformers 5).

transformers 5's Trainer also uses its length-grouped sampler for ``predict`` when
``group_by_length`` is set, so predictions come back shuffled; mapped back in dataset
order they scored an entity F1 of 0.04 in an earlier version of this benchmark. The
reference now predicts with the sequential sampler (``predict_reference``).

Training wall time runs from Python token/tag lists to a trained model in memory:
loading the model and tokenizer, encoding and training (each side's data preparation
counts). samples/s = training sentences × epochs / training wall time. Afterwards each run
tags the dev set (eng.testa), scored with seqeval, strict IOB2, by the same code for all.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import (
    BenchmarkResult,
    Table,
    Target,
    alternating,
    apply_sizes,
    base_parser,
    difference_target,
    isolated_environment,
    load_conll,
    machine,
    median,
    model_path,
    ratio_target,
    size_help,
    warn_if_busy,
)

LEARNING_RATE = 5e-5
BATCH_SIZE = 16
RUNS = {
    "ours": "Open Interpreter fine_tune (defaults)",
    "ours-fp32": "Open Interpreter fine_tune, precision=fp32",
    "hf-fp32": "HF Trainer, fp32 (reference)",
    "hf-bf16": "HF Trainer, bf16 + group_by_length",
}
BF16_ONLY = ("ours-fp32", "hf-bf16")
"""Runs only where the CPU computes bf16 natively."""
FULL = {"train_size": 4000, "dev_size": 3250, "epochs": 2, "repeats": 3}
QUICK = {"train_size": 16, "dev_size": 16, "epochs": 1, "repeats": 1}


@dataclass
class TrialResult:
    """What one run measured about itself (in its own process)."""

    run: str
    train_seconds: float
    samples_per_second: float
    loop_samples_per_second: float
    peak_rss_bytes: int
    dev_f1: float
    bf16: bool
    seed: int = 0
    wall_seconds: float = 0.0


@dataclass
class Trained:
    """A trained model's figures: training wall time, the loop's own rate, its dev tags."""

    seconds: float
    loop_samples_per_second: float
    bf16: bool
    dev_tags: list[list[str]]


# -- one run, in its own process -----------------------------------------------------------


def run_trial(run: str, args: Any) -> TrialResult:
    """Train as ``run`` says, tag the dev set and measure; called in a child process.

    The data subsets are drawn with ``args.seed``; the run trains with ``args.train_seed``
    (weights of the new head, batch order, dropout), which differs from round to round.
    """
    train = load_conll("train", args.train_size, args.seed)
    dev = load_conll("testa", args.dev_size, args.seed)
    args.seed = args.train_seed if args.train_seed is not None else args.seed
    if run.startswith("ours"):
        trained = train_ours(
            train, dev.tokens, args, precision="fp32" if run == "ours-fp32" else "auto"
        )
    else:
        trained = train_reference(train, dev.tokens, args, bf16=run == "hf-bf16")
    return TrialResult(
        run=run,
        train_seconds=trained.seconds,
        samples_per_second=len(train) * args.epochs / trained.seconds,
        loop_samples_per_second=trained.loop_samples_per_second,
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        dev_f1=entity_f1(dev.tags, trained.dev_tags),
        bf16=trained.bf16,
        seed=args.seed,
    )


def train_ours(train: Any, dev_tokens: list[list[str]], args: Any, *, precision: str) -> Trained:
    """Fine-tune with Open Interpreter at ``precision``, then tag the dev sentences."""
    from open_interpreter import OpenInterpreter

    started = time.perf_counter()
    interpreter = OpenInterpreter("minilm-l6")
    result = interpreter.fine_tune(
        train_data=train,
        learning_rate=LEARNING_RATE,
        epochs=args.epochs,
        batch_size=BATCH_SIZE,
        seed=args.seed,
        precision=precision,
        progress=False,
    )
    seconds = time.perf_counter() - started
    predicted = [p.tags for p in interpreter.predict(dev_tokens)]
    return Trained(seconds, result.training.samples_per_second, result.training.bf16, predicted)


def train_reference(train: Any, dev_tokens: list[list[str]], args: Any, *, bf16: bool) -> Trained:
    """Fine-tune with the Hugging Face Trainer recipe, then tag the dev sentences."""
    from transformers import DataCollatorForTokenClassification, Trainer

    started = time.perf_counter()
    labels = sorted({tag for tags in train.tags for tag in tags})
    tokenizer, model = load_reference_model(labels, args.seed)
    dataset = reference_dataset(tokenizer, train, labels)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(
            model=model,
            args=reference_arguments(out, args, bf16=bf16),
            train_dataset=dataset,
            data_collator=DataCollatorForTokenClassification(tokenizer),
            processing_class=tokenizer,
        )
        metrics = trainer.train().metrics
        seconds = time.perf_counter() - started
        predicted = predict_reference(trainer, tokenizer, dev_tokens, labels)
    return Trained(seconds, metrics["train_samples_per_second"], bf16, predicted)


def load_reference_model(labels: list[str], seed: int) -> tuple[Any, Any]:
    """minilm-l6's own files with a fresh token-classification head, seeded like run_ner.py."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer, set_seed

    set_seed(seed)
    path = str(model_path())
    model = AutoModelForTokenClassification.from_pretrained(
        path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    return AutoTokenizer.from_pretrained(path), model


def reference_dataset(tokenizer: Any, train: Any, labels: list[str]) -> Any:
    """The training sentences as a ``datasets.Dataset``, tokenized with aligned labels."""
    from datasets import Dataset

    label2id = {label: i for i, label in enumerate(labels)}
    raw = Dataset.from_dict(
        {"tokens": train.tokens, "ner_tags": [[label2id[t] for t in ts] for ts in train.tags]}
    )
    return raw.map(
        lambda batch: tokenize_and_align_labels(tokenizer, batch),
        batched=True,
        remove_columns=raw.column_names,
    )


def reference_arguments(out: str, args: Any, *, bf16: bool) -> Any:
    """``TrainingArguments``: the defaults, our batch/lr/epochs, no reporting or saving."""
    import torch
    from transformers import TrainingArguments

    precision: dict[str, Any] = {}
    if bf16:  # bf16 on a CPU needs use_cpu=True in transformers 5
        precision = {"bf16": True, "train_sampling_strategy": "group_by_length"}
        precision["use_cpu"] = not torch.cuda.is_available()
    return TrainingArguments(
        output_dir=out,
        learning_rate=LEARNING_RATE,
        per_device_train_batch_size=BATCH_SIZE,
        num_train_epochs=args.epochs,
        seed=args.seed,
        report_to="none",
        save_strategy="no",
        eval_strategy="no",
        disable_tqdm=True,
        **precision,
    )


def tokenize_and_align_labels(tokenizer: Any, batch: dict[str, list]) -> Any:
    """Tokenize words and label each word's first sub-token (-100 elsewhere): the HF guide."""
    encoded = tokenizer(batch["tokens"], truncation=True, is_split_into_words=True)
    encoded["labels"] = [
        _first_subtoken_labels(encoded.word_ids(batch_index=i), tags)
        for i, tags in enumerate(batch["ner_tags"])
    ]
    return encoded


def _first_subtoken_labels(word_ids: list[int | None], tags: list[int]) -> list[int]:
    labels, previous = [], None
    for word in word_ids:
        labels.append(-100 if word is None or word == previous else tags[word])
        previous = word
    return labels


def predict_reference(
    trainer: Any, tokenizer: Any, sentences: list[list[str]], labels: list[str]
) -> list[list[str]]:
    """Tag each word with the prediction on its first sub-token (``O`` if truncated away).

    ``predict`` runs with the sequential sampler: with ``group_by_length`` set,
    transformers 5 would shuffle the predictions' order by length.
    """
    from datasets import Dataset

    trainer.args.train_sampling_strategy = "random"  # predict in dataset order
    encoded = tokenizer(sentences, truncation=True, is_split_into_words=True)
    best = trainer.predict(Dataset.from_dict(dict(encoded))).predictions.argmax(-1)
    tagged = []
    for i, words in enumerate(sentences):
        tags = ["O"] * len(words)
        previous = None
        for position, word in enumerate(encoded.word_ids(batch_index=i)):
            if word is not None and word != previous:
                tags[word] = labels[int(best[i, position])]
            previous = word
        tagged.append(tags)
    return tagged


def entity_f1(gold: list[list[str]], predicted: list[list[str]]) -> float:
    """Entity-level F1, seqeval strict IOB2."""
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2

    return float(f1_score(gold, predicted, mode="strict", scheme=IOB2))


# -- the parent: runs the trials and reports -----------------------------------------------


def run_in_child(run: str, args: Any, train_seed: int) -> TrialResult:
    """Run one trial in a fresh Python process and read back what it measured."""
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--trial", run, "--result-file", str(result_file)]
        command += ["--train-seed", str(train_seed)]
        for option in ("train_size", "dev_size", "epochs", "seed"):
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        started = time.perf_counter()
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if child.returncode != 0:
            sys.exit(f"the {run!r} run failed (exit {child.returncode}):\n{child.stderr[-3000:]}")
        trial = TrialResult(**json.loads(result_file.read_text(encoding="utf-8")))
    trial.wall_seconds = wall
    return trial


def summarise(trials: dict[str, list[TrialResult]]) -> dict[str, dict[str, float]]:
    """Per run: the median of each speed figure over the rounds, the mean dev F1 over
    the rounds' seeds, and the highest peak RSS."""
    summary = {}
    for run, results in trials.items():
        summary[run] = {
            key: median([getattr(r, key) for r in results])
            for key in (
                "samples_per_second",
                "loop_samples_per_second",
                "train_seconds",
                "wall_seconds",
            )
        }
        summary[run]["dev_f1"] = sum(r.dev_f1 for r in results) / len(results)
        summary[run]["peak_rss_bytes"] = max(r.peak_rss_bytes for r in results)
    return summary


def results_table(trials: dict[str, list[TrialResult]], summary: dict) -> Table:
    """One row per run: medians over the rounds and each round's samples/s."""
    rows = []
    for run, figures in summary.items():
        rounds = ", ".join(f"{t.samples_per_second:.1f}" for t in trials[run])
        f1s = ", ".join(f"{t.dev_f1:.3f}" for t in trials[run])
        rows.append(
            [
                RUNS[run],
                f"{figures['samples_per_second']:.1f}",
                rounds,
                f"{figures['loop_samples_per_second']:.1f}",
                f"{figures['train_seconds']:.1f}",
                f"{figures['wall_seconds']:.1f}",
                f"{figures['peak_rss_bytes'] / 1e9:.2f}",
                f"{figures['dev_f1']:.4f}",
                f1s,
                "bf16" if trials[run][0].bf16 else "fp32",
            ]
        )
    columns = [
        "run",
        "samples/s",
        "per round",
        "loop samples/s",
        "train s",
        "wall s",
        "peak RSS GB",
        "dev F1",
        "F1 per round",
        "precision",
    ]
    return Table(
        "Fine-tuning (speed: medians over rounds; dev F1: mean over the rounds' seeds)",
        columns,
        rows,
    )


def targets(summary: dict[str, dict[str, float]]) -> list[Target]:
    """The goals: speed against the Trainer, fp32 against fp32 and (where the CPU has
    native bf16) bf16 against bf16; F1 and memory against the Trainer's fp32 run."""
    ours, fp32 = summary["ours"], summary["hf-fp32"]
    ours_fp32 = summary.get("ours-fp32", ours)
    found = [
        ratio_target(
            "fp32 against fp32: samples/s vs HF Trainer fp32",
            ours_fp32["samples_per_second"],
            fp32["samples_per_second"],
            at_least=2.0,
        ),
        difference_target(
            "dev entity F1 (mean over seeds) vs HF Trainer fp32",
            ours["dev_f1"],
            fp32["dev_f1"],
            at_least=-0.5,
        ),
    ]
    if "hf-bf16" in summary:
        bf16 = summary["hf-bf16"]
        found += [
            ratio_target(
                "best against best: samples/s vs HF Trainer bf16 + group_by_length",
                ours["samples_per_second"],
                bf16["samples_per_second"],
                at_least=1.5,
            ),
            difference_target(
                "dev entity F1 (mean over seeds) vs HF Trainer bf16",
                ours["dev_f1"],
                bf16["dev_f1"],
                at_least=-0.5,
            ),
        ]
    found.append(
        ratio_target(
            "peak RSS (GB) vs HF Trainer fp32",
            ours["peak_rss_bytes"] / 1e9,
            fp32["peak_rss_bytes"] / 1e9,
            at_most=1.1,
            fmt="{:.2f}".format,
        )
    )
    return found


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line; ``--trial`` and ``--result-file`` are the child's, not the user's."""
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--train-size", type=int, help=size_help("training sentences", "train_size", FULL, QUICK)
    )
    parser.add_argument(
        "--dev-size",
        type=int,
        help=size_help("eng.testa sentences scored", "dev_size", FULL, QUICK),
    )
    parser.add_argument("--epochs", type=float, help=size_help("epochs", "epochs", FULL, QUICK))
    parser.add_argument(
        "--repeats", type=int, help=size_help("rounds of the three runs", "repeats", FULL, QUICK)
    )
    parser.add_argument("--trial", choices=sorted(RUNS), help=argparse.SUPPRESS)
    parser.add_argument("--train-seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    return args


def build_result(
    args: Any, info: dict[str, Any], trials: dict[str, list[TrialResult]]
) -> BenchmarkResult:
    """The figures, targets and notes of one run."""
    summary = summarise(trials)
    return BenchmarkResult(
        benchmark="training",
        title="Fine-tuning: CoNLL-2003 NER, minilm-l6",
        command="python benchmarks/bench_training.py" + (" --quick" if args.quick else ""),
        quick=args.quick,
        machine=info,
        settings={
            "train_sentences": args.train_size,
            "dev_sentences": args.dev_size,
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "rounds": args.repeats,
            "seed": args.seed,
            "training_seeds": [args.seed + index for index in range(args.repeats)],
        },
        tables=[results_table(trials, summary)],
        targets=targets(summary),
        notes=[
            "samples/s counts model loading, encoding and training (each side's own data "
            "preparation); 'loop samples/s' is each library's own training-loop figure.",
            "wall s is the whole run's process: imports, data, training and tagging the dev set.",
            "Other settings are each side's defaults (ours: warmup 10%, weight decay 0.01; "
            "Trainer: no warmup, no weight decay).",
            "bf16 rows (ours at precision=fp32 beside ours at its default, and the Trainer "
            "with bf16=True) run only where the CPU computes bf16 natively"
            + (
                "."
                if info.get("native_bf16")
                else "; this one does not, so both sides computed in fp32."
            ),
        ],
        raw={run: [asdict(t) for t in results] for run, results in trials.items()},
    )


def main(argv: list[str] | None = None) -> None:
    """Run the fine-tuning runs, print the tables and write results/training.json."""
    args = parse_args(argv)
    if args.trial:  # a child: one run, its figures to --result-file
        trial = run_trial(args.trial, args)
        args.result_file.write_text(json.dumps(asdict(trial)), encoding="utf-8")
        return
    with isolated_environment():
        info = machine()
        warn_if_busy(info)
        runs = [r for r in RUNS if info.get("native_bf16") or r not in BF16_ONLY]
        trials: dict[str, list[TrialResult]] = {run: [] for run in runs}
        for index, run in alternating(runs, args.repeats):
            print(f"round {index + 1}/{args.repeats}: {run} ...", flush=True)
            trials[run].append(run_in_child(run, args, train_seed=args.seed + index))
    result = build_result(args, info, trials)
    result.print()
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
