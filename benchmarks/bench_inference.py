"""Tagging sentences: ``OpenInterpreter.predict`` (PyTorch and ONNX Runtime) against ``pipeline``.

    .venv/bin/python benchmarks/bench_inference.py            # ~5 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/bench_inference.py --quick    # smoke run, tiny sizes

minilm-l6 is first fine-tuned on CoNLL-2003 (2,000 seeded sentences, 2 epochs, lr 1e-4), saved to a
temporary directory and exported from there with ``oi``'s own export (ONNX fp32, and
int8 by ONNX Runtime's dynamic quantisation). Every run loads those files. Then, over
the 3,250 ``eng.testa`` sentences, alternating over rounds (A B C, C B A):

- ``ours``: ``OpenInterpreter.load(dir).predict(token_lists)`` at its default precision
  (bf16 autocast where the CPU computes bf16 natively, fp32 otherwise); where it runs
  bf16, also ``ours-fp32`` (``precision="fp32"``), so fp32 is compared with fp32;
- ``ours-onnx`` / ``ours-int8``: ``OnnxModel.load(export).predict(token_lists)``;
- ``pipeline``: ``pipeline("token-classification", model=dir,
  aggregation_strategy="first")`` on ``" ".join(tokens)``, default settings (batch 1);
- ``pipeline-32``: the same pipeline called with ``batch_size=32``;
- ``pipeline-onnx-32`` / ``pipeline-int8-32``: the pipeline over the same ONNX files in
  ONNX Runtime, as Optimum users run it (``onnx_pipeline.py`` says why not Optimum itself),
  with ``batch_size=32``.

``aggregation_strategy="first"`` (a word takes its first sub-token's tag, as ours does)
is set on every pipeline so that entities can be compared: ours gives word spans, mapped
here to character offsets in the joined sentence. Agreement is the share of sentences
whose sets of (type, char start, char end) are identical; entity F1 scores every run's
character spans against the gold ones, so that speed is never bought with accuracy
unseen. Each ratio is given twice: fp32 against fp32 (what the design buys) and best
against best (each side's fastest run within 1 F1 point of its fp32 PyTorch run).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    BenchmarkResult,
    Table,
    Target,
    alternating,
    apply_sizes,
    base_parser,
    fine_tune_bench_model,
    isolated_environment,
    load_conll,
    machine,
    median,
    ratio_target,
    size_help,
    warn_if_busy,
    word_offsets,
)


@dataclass(frozen=True)
class Run:
    """One way of tagging the sentences: its label, backend, precision and whose it is."""

    label: str
    backend: str
    precision: str
    ours: bool


FULL = {"sentences": 3250, "fine_tune_size": 2000, "repeats": 2}
QUICK = {"sentences": 24, "fine_tune_size": 16, "repeats": 1}
WARMUP_SENTENCES = 8
BENCH_EPOCHS = 2
"""The benchmark model trains 2 epochs on 2,000 sentences: one epoch on 1,000 left it at an
entity F1 of 0.29, too weak to say whether int8 keeps its accuracy."""
F1_SLACK = 0.01
"""A run counts for "best" only within 1 F1 point of its side's fp32 PyTorch run."""

EntitySet = frozenset[tuple[str, int, int]]
Predict = Callable[[list[list[str]], list[str]], Any]


def runs_for(native_bf16: bool) -> dict[str, Run]:
    """The runs on this machine: ``ours-fp32`` only where ``ours`` computes in bf16."""
    runs = {
        "ours": Run("Open Interpreter predict", "PyTorch", "bf16" if native_bf16 else "fp32", True),
        "ours-fp32": Run("Open Interpreter predict, precision=fp32", "PyTorch", "fp32", True),
        "ours-onnx": Run("Open Interpreter OnnxModel", "ONNX Runtime", "fp32", True),
        "ours-int8": Run("Open Interpreter OnnxModel", "ONNX Runtime", "int8 (dynamic)", True),
        "pipeline": Run("pipeline, default (batch 1)", "PyTorch", "fp32", False),
        "pipeline-32": Run("pipeline, batch_size=32", "PyTorch", "fp32", False),
        "pipeline-onnx-32": Run(
            "pipeline on ONNX Runtime, batch_size=32", "ONNX Runtime", "fp32", False
        ),
        "pipeline-int8-32": Run(
            "pipeline on ONNX Runtime, batch_size=32", "ONNX Runtime", "int8 (dynamic)", False
        ),
    }
    if not native_bf16:
        del runs["ours-fp32"]  # the same run as "ours"
    return runs


def export_models(model_dir: Path, into: Path) -> dict[str, Any]:
    """The benchmark model exported to ONNX fp32 and int8 by ``OpenInterpreter.export``."""
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter.load(model_dir)
    return {
        precision: interpreter.export(into / precision, quantize=quantize)
        for precision, quantize in (("fp32", None), ("int8", "int8"))
    }


def predictors(model_dir: Path, exports: Path, runs: dict[str, Run]) -> dict[str, Predict]:
    """Each run as a call on (token lists, the same sentences joined with spaces)."""
    from onnx_pipeline import onnx_pipeline
    from transformers import pipeline

    from open_interpreter import OpenInterpreter
    from open_interpreter.export import OnnxModel

    interpreter = OpenInterpreter.load(model_dir)
    tagger = pipeline("token-classification", model=str(model_dir), aggregation_strategy="first")
    onnx = {p: OnnxModel.load(exports / p) for p in ("fp32", "int8")}
    onnx_taggers = {
        p: onnx_pipeline(model_dir, exports / p / "model.onnx", aggregation_strategy="first")
        for p in ("fp32", "int8")
    }
    calls: dict[str, Predict] = {
        "ours": lambda tokens, texts: interpreter.predict(tokens),
        "ours-onnx": lambda tokens, texts: onnx["fp32"].predict(tokens),
        "ours-int8": lambda tokens, texts: onnx["int8"].predict(tokens),
        "pipeline": lambda tokens, texts: tagger(texts),
        "pipeline-32": lambda tokens, texts: tagger(texts, batch_size=32),
        "pipeline-onnx-32": lambda tokens, texts: onnx_taggers["fp32"](texts, batch_size=32),
        "pipeline-int8-32": lambda tokens, texts: onnx_taggers["int8"](texts, batch_size=32),
    }
    if "ours-fp32" in runs:
        fp32 = OpenInterpreter.load(model_dir)
        fp32.bundle.config = fp32.bundle.config.model_copy(update={"precision": "fp32"})
        calls["ours-fp32"] = lambda tokens, texts: fp32.predict(tokens)
    return {name: calls[name] for name in runs}


def our_entities(predictions: list[Any], sentences: list[list[str]]) -> list[EntitySet]:
    """Our entities as (type, char start, char end) in ``" ".join(tokens)``."""
    sets = []
    for prediction, tokens in zip(predictions, sentences, strict=True):
        spans = word_offsets(tokens)
        sets.append(
            frozenset(
                (e.type, spans[e.words[0]][0], spans[e.words[1] - 1][1])
                for e in prediction.entities
            )
        )
    return sets


def pipeline_entities(outputs: list[list[dict[str, Any]]]) -> list[EntitySet]:
    """The pipeline's grouped entities as (type, char start, char end)."""
    return [frozenset((e["entity_group"], e["start"], e["end"]) for e in row) for row in outputs]


def agreement(a: list[EntitySet], b: list[EntitySet]) -> float:
    """Share of sentences whose entity sets are identical."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def disagreements(
    sentences: list[list[str]], ours: list[EntitySet], theirs: list[EntitySet], limit: int = 3
) -> list[str]:
    """A few sentences where the two sides differ, each side's entities spelled out."""

    def spelled(text: str, entities: EntitySet) -> str:
        return ", ".join(
            f"{kind} {text[a:b]!r}" for kind, a, b in sorted(entities, key=lambda e: e[1])
        )

    examples = []
    for tokens, x, y in zip(sentences, ours, theirs, strict=True):
        if x != y and len(examples) < limit:
            text = " ".join(tokens)
            examples.append(
                f"{text[:90]!r}: ours [{spelled(text, x)}], pipeline [{spelled(text, y)}]"
            )
    return examples


def time_runs(
    calls: dict[str, Predict], sentences: list[list[str]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Seconds of each run per round (alternating order), and each run's last outputs.

    Every run first tags a few sentences untimed, so no one pays for first-call setup.
    """
    texts = [" ".join(tokens) for tokens in sentences]
    for call in calls.values():
        call(sentences[:WARMUP_SENTENCES], texts[:WARMUP_SENTENCES])
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    outputs: dict[str, Any] = {}
    for index, name in alternating(list(calls), rounds):
        print(f"round {index + 1}/{rounds}: {name} ...", flush=True)
        started = time.perf_counter()
        outputs[name] = calls[name](sentences, texts)
        seconds[name].append(time.perf_counter() - started)
    return seconds, outputs


def gold_entities(examples: Any) -> list[EntitySet]:
    """The gold entities of tagged sentences as (type, char start, char end)."""
    from seqeval.metrics.sequence_labeling import get_entities

    sets = []
    for tokens, tags in zip(examples.tokens, examples.tags, strict=True):
        spans = word_offsets(tokens)
        sets.append(
            frozenset((kind, spans[a][0], spans[b][1]) for kind, a, b in get_entities(list(tags)))
        )
    return sets


def entity_f1(predicted: list[EntitySet], gold: list[EntitySet]) -> float:
    """Micro entity F1 of character spans (an entity counts only with its type and span)."""
    hits = sum(len(p & g) for p, g in zip(predicted, gold, strict=True))
    guessed, wanted = sum(map(len, predicted)), sum(map(len, gold))
    return 2 * hits / (guessed + wanted) if guessed + wanted else 1.0


def entities_of(name: str, outputs: Any, sentences: list[list[str]]) -> list[EntitySet]:
    """A run's entities as (type, char start, char end), ours or a pipeline's."""
    if name.startswith("ours"):
        return our_entities(outputs, sentences)
    return pipeline_entities(outputs)


def results_table(
    runs: dict[str, Run],
    count: int,
    seconds: dict[str, list[float]],
    f1: dict[str, float],
    agree: dict[str, dict[str, float]],
    unsplit: int,
) -> Table:
    """One row per run: precision, sentences/s (median and per round), F1, agreement."""
    rows = []
    for name, times in seconds.items():
        run = runs[name]
        rows.append(
            [
                run.label,
                run.backend,
                run.precision,
                f"{count / median(times):.1f}",
                ", ".join(f"{count / t:.1f}" for t in times),
                f"{median(times):.2f}",
                f"{100 * f1[name]:.2f}",
                *(
                    ["-", "-"]
                    if name == "ours"
                    else [f"{agree[name]['all']:.4f}", f"{agree[name]['unsplit']:.4f}"]
                ),
            ]
        )
    columns = ["run", "backend", "precision", "sentences/s", "per round", "seconds"]
    columns += ["entity F1", "agreement with ours", f"agreement, {unsplit} unsplit sentences"]
    return Table(f"Tagging {count} eng.testa sentences (medians over rounds)", columns, rows)


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line."""
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sentences", type=int, help=size_help("eng.testa sentences", "sentences", FULL, QUICK)
    )
    parser.add_argument(
        "--fine-tune-size",
        type=int,
        help=size_help(
            "sentences the benchmark model is fine-tuned on", "fine_tune_size", FULL, QUICK
        ),
    )
    parser.add_argument("--repeats", type=int, help=size_help("rounds", "repeats", FULL, QUICK))
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    return args


def unsplit_sentences(model_dir: Path, sentences: list[list[str]]) -> list[bool]:
    """Whether each sentence has no word that the tokenizer's pre-tokenizer splits.

    The pipeline's words come from that pre-tokenizer (``1996-08-30`` is five words to it),
    ours are the CoNLL words as given; where no word is split, both see the same words.
    """
    from transformers import AutoTokenizer

    pre = AutoTokenizer.from_pretrained(str(model_dir)).backend_tokenizer.pre_tokenizer
    return [all(len(pre.pre_tokenize_str(word)) == 1 for word in tokens) for tokens in sentences]


def compare_entities(
    outputs: dict[str, Any], examples: Any, unsplit: list[bool]
) -> tuple[dict[str, float], dict[str, dict[str, float]], list[str]]:
    """Each run's entity F1, its agreement with ours (all / unsplit sentences), examples."""
    sentences = examples.tokens
    entities = {name: entities_of(name, out, sentences) for name, out in outputs.items()}
    gold = gold_entities(examples)
    f1 = {name: entity_f1(found, gold) for name, found in entities.items()}
    kept = [i for i, keep in enumerate(unsplit) if keep]
    agree = {}
    for name, found in entities.items():
        if name == "ours":
            continue
        agree[name] = {
            "all": agreement(entities["ours"], found),
            "unsplit": agreement([entities["ours"][i] for i in kept], [found[i] for i in kept])
            if kept
            else float("nan"),
        }
    examples_ = disagreements(sentences, entities["ours"], entities["pipeline"])
    return f1, agree, examples_


def fastest(names: list[str], rate: dict[str, float], f1: dict[str, float], floor: float) -> str:
    """The fastest of ``names`` whose F1 is at least ``floor``."""
    eligible = [name for name in names if f1[name] >= floor] or names
    return max(eligible, key=rate.__getitem__)


def build_targets(
    runs: dict[str, Run], rate: dict[str, float], f1: dict[str, float]
) -> tuple[list[Target], dict[str, str]]:
    """The targets, fp32 against fp32 and best against best; which runs were "best"."""
    ours_fp32 = "ours-fp32" if "ours-fp32" in runs else "ours"
    ours_names = [name for name, run in runs.items() if run.ours]
    theirs = [name for name, run in runs.items() if not run.ours]
    best = {
        "ours": fastest(ours_names, rate, f1, f1[ours_fp32] - F1_SLACK),
        "reference": fastest(theirs, rate, f1, f1["pipeline"] - F1_SLACK),
    }

    def label(name: str) -> str:
        return f"{runs[name].label} ({runs[name].backend}, {runs[name].precision})"

    targets = [
        ratio_target(
            "fp32 against fp32: our PyTorch predict vs default pipeline",
            rate[ours_fp32],
            rate["pipeline"],
            at_least=3.0,
        ),
        ratio_target(
            "fp32 against fp32: our PyTorch predict vs pipeline batch_size=32",
            rate[ours_fp32],
            rate["pipeline-32"],
            at_least=1.2,
        ),
        ratio_target(
            "best against best: our fastest run vs the reference's fastest (notes)",
            rate[best["ours"]],
            rate[best["reference"]],
            at_least=1.2,
        ),
        ratio_target(
            "ONNX fp32 vs our PyTorch predict, fp32",
            rate["ours-onnx"],
            rate[ours_fp32],
            at_least=1.2,
        ),
        ratio_target(
            "ONNX int8 vs our PyTorch predict, fp32",
            rate["ours-int8"],
            rate[ours_fp32],
            at_least=1.5,
        ),
    ]
    drop = 100 * (f1[ours_fp32] - f1["ours-int8"])
    targets.append(
        Target(
            "entity F1 of ONNX int8 vs our PyTorch predict, fp32",
            f"{100 * f1['ours-int8']:.2f}",
            f"{100 * f1[ours_fp32]:.2f}",
            f"{-drop:+.2f} pts",
            "≥ -1.0 pts",
            drop <= 1.0,
        )
    )
    best_labels = {side: label(name) for side, name in best.items()}
    return targets, best_labels


def build_result(
    args: Any,
    info: dict[str, Any],
    runs: dict[str, Run],
    count: int,
    seconds: dict[str, list[float]],
    scores: tuple[dict[str, float], dict[str, dict[str, float]]],
    unsplit: int,
    exported: dict[str, Any],
) -> BenchmarkResult:
    """The figures, targets and notes of one run."""
    f1, agree = scores
    rate = {name: count / median(times) for name, times in seconds.items()}
    targets, best = build_targets(runs, rate, f1)
    return BenchmarkResult(
        benchmark="inference",
        title="Inference: tagging CoNLL-2003 sentences, minilm-l6",
        command="python benchmarks/bench_inference.py" + (" --quick" if args.quick else ""),
        quick=args.quick,
        machine=info,
        settings={
            "sentences": count,
            "fine_tune_sentences": args.fine_tune_size,
            "rounds": args.repeats,
            "seed": args.seed,
            "aggregation_strategy": "first",
            "warmup_sentences": WARMUP_SENTENCES,
            "pipeline_batch_size_onnx": 32,
        },
        tables=[results_table(runs, count, seconds, f1, agree, unsplit)],
        targets=targets,
        notes=[
            "Every pipeline uses aggregation_strategy='first' (a word takes its first "
            "sub-token's tag) so that entities can be compared with ours; the pipeline reads "
            "each sentence as ' '.join(tokens), ours the token list.",
            f"'unsplit' sentences ({unsplit} of {count}) have no word that the tokenizer's "
            "pre-tokenizer splits at punctuation (1996-08-30, pro-soccer): there both sides "
            "tag the same words; elsewhere the pipeline tags the pieces.",
            "entity F1: micro F1 of (type, character span) against the gold entities, for "
            "every run alike.",
            "Best against best: each side's fastest run within 1 F1 point of its own fp32 "
            f"PyTorch run; here ours is {best['ours']}, the reference's {best['reference']}.",
            "The ONNX files are the benchmark model's own exports: "
            + "; ".join(
                f"{p} {report.size_bytes / 1e6:.1f} MB in {report.seconds:.1f} s"
                for p, report in exported.items()
            )
            + ".",
        ],
        raw={"seconds": seconds, "agreement": agree, "entity_f1": f1, "best": best},
    )


def main(argv: list[str] | None = None) -> None:
    """Fine-tune and export the benchmark model, time every run, write inference.json."""
    args = parse_args(argv)
    with isolated_environment(), tempfile.TemporaryDirectory() as tmp:
        info = machine()
        warn_if_busy(info)
        runs = runs_for(bool(info.get("native_bf16")))
        print(f"fine-tuning the benchmark model on {args.fine_tune_size} sentences ...", flush=True)
        model_dir = fine_tune_bench_model(
            Path(tmp) / "model", size=args.fine_tune_size, seed=args.seed, epochs=BENCH_EPOCHS
        )
        exported = export_models(model_dir, Path(tmp) / "exports")
        examples = load_conll("testa", args.sentences, args.seed)
        calls = predictors(model_dir, Path(tmp) / "exports", runs)
        seconds, outputs = time_runs(calls, examples.tokens, args.repeats)
        unsplit = unsplit_sentences(model_dir, examples.tokens)
    f1, agree, examples_ = compare_entities(outputs, examples, unsplit)
    result = build_result(
        args, info, runs, len(examples), seconds, (f1, agree), sum(unsplit), exported
    )
    result.print()
    # Printed, not stored: the data's text stays out of the repository.
    for example in examples_:
        print(f"- disagreement: {example}")
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
