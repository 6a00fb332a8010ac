"""Tagging sentences: ``OpenInterpreter.predict`` against ``transformers.pipeline``.

    .venv/bin/python benchmarks/bench_inference.py            # ~3-4 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/bench_inference.py --quick    # smoke run, tiny sizes

minilm-l6 is first fine-tuned on CoNLL-2003 (1,000 seeded sentences, 1 epoch) and saved
to a temporary directory; both sides load that one directory. Then, over the 3,250
``eng.testa`` sentences, alternating over rounds (A B C, C B A):

- ``ours``: ``OpenInterpreter.load(dir).predict(token_lists)``;
- ``pipeline``: ``pipeline("token-classification", model=dir,
  aggregation_strategy="first")`` on ``" ".join(tokens)``, default settings (batch 1);
- ``pipeline, batch 32``: the same pipeline called with ``batch_size=32``.

``aggregation_strategy="first"`` (a word takes its first sub-token's tag, as ours does)
is set on both pipeline variants so that entities can be compared: ours gives word spans,
mapped here to character offsets in the joined sentence. Agreement is the share of
sentences whose sets of (type, char start, char end) are identical.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    BenchmarkResult,
    Table,
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

RUNS = {
    "ours": "Open Interpreter predict",
    "pipeline": "pipeline, default (batch 1)",
    "pipeline-32": "pipeline, batch_size=32",
}
FULL = {"sentences": 3250, "fine_tune_size": 1000, "repeats": 2}
QUICK = {"sentences": 24, "fine_tune_size": 16, "repeats": 1}
WARMUP_SENTENCES = 8

EntitySet = frozenset[tuple[str, int, int]]
Predict = Callable[[list[list[str]], list[str]], Any]


def predictors(model_dir: Path) -> dict[str, Predict]:
    """Each run as a call on (token lists, the same sentences joined with spaces)."""
    from transformers import pipeline

    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter.load(model_dir)
    tagger = pipeline("token-classification", model=str(model_dir), aggregation_strategy="first")
    return {
        "ours": lambda tokens, texts: interpreter.predict(tokens),
        "pipeline": lambda tokens, texts: tagger(texts),
        "pipeline-32": lambda tokens, texts: tagger(texts, batch_size=32),
    }


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


def results_table(
    count: int, seconds: dict[str, list[float]], agree: dict[str, dict[str, float]], unsplit: int
) -> Table:
    """One row per run: sentences/s (median and per round), seconds, agreement with ours."""
    rows = []
    for name, times in seconds.items():
        rows.append(
            [
                RUNS[name],
                f"{count / median(times):.1f}",
                ", ".join(f"{count / t:.1f}" for t in times),
                f"{median(times):.2f}",
                *(
                    ["-", "-"]
                    if name == "ours"
                    else [f"{agree[name]['all']:.4f}", f"{agree[name]['unsplit']:.4f}"]
                ),
            ]
        )
    columns = ["run", "sentences/s", "per round", "seconds", "agreement with ours"]
    columns.append(f"agreement, {unsplit} unsplit sentences")
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
    outputs: dict[str, Any], sentences: list[list[str]], unsplit: list[bool]
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Agreement of each pipeline run with ours (all / unsplit sentences), and examples."""
    ours = our_entities(outputs["ours"], sentences)
    agree = {}
    for name in ("pipeline", "pipeline-32"):
        theirs = pipeline_entities(outputs[name])
        kept = [i for i, keep in enumerate(unsplit) if keep]
        agree[name] = {
            "all": agreement(ours, theirs),
            "unsplit": agreement([ours[i] for i in kept], [theirs[i] for i in kept])
            if kept
            else float("nan"),
        }
    examples = disagreements(sentences, ours, pipeline_entities(outputs["pipeline"]))
    return agree, examples


def build_result(
    args: Any,
    info: dict[str, Any],
    count: int,
    seconds: dict[str, list[float]],
    agree: dict[str, dict[str, float]],
    unsplit: int,
) -> BenchmarkResult:
    """The figures, targets and notes of one run."""
    rate = {name: count / median(times) for name, times in seconds.items()}
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
        },
        tables=[results_table(count, seconds, agree, unsplit)],
        targets=[
            ratio_target(
                "sentences/s vs default pipeline", rate["ours"], rate["pipeline"], at_least=3.0
            ),
            ratio_target(
                "sentences/s vs pipeline batch_size=32",
                rate["ours"],
                rate["pipeline-32"],
                at_least=1.2,
            ),
        ],
        notes=[
            "Both pipeline variants use aggregation_strategy='first' (a word takes its first "
            "sub-token's tag) so that entities can be compared with ours; the pipeline reads "
            "each sentence as ' '.join(tokens), ours the token list.",
            f"'unsplit' sentences ({unsplit} of {count}) have no word that the tokenizer's "
            "pre-tokenizer splits at punctuation (1996-08-30, pro-soccer): there both sides "
            "tag the same words; elsewhere the pipeline tags the pieces.",
        ],
        raw={"seconds": seconds, "agreement": agree},
    )


def main(argv: list[str] | None = None) -> None:
    """Fine-tune the benchmark model, time the three runs, print and write inference.json."""
    args = parse_args(argv)
    with isolated_environment(), tempfile.TemporaryDirectory() as tmp:
        info = machine()
        warn_if_busy(info)
        print(f"fine-tuning the benchmark model on {args.fine_tune_size} sentences ...", flush=True)
        model_dir = fine_tune_bench_model(
            Path(tmp) / "model", size=args.fine_tune_size, seed=args.seed
        )
        sentences = load_conll("testa", args.sentences, args.seed).tokens
        seconds, outputs = time_runs(predictors(model_dir), sentences, args.repeats)
        unsplit = unsplit_sentences(model_dir, sentences)
    agree, examples = compare_entities(outputs, sentences, unsplit)
    result = build_result(args, info, len(sentences), seconds, agree, sum(unsplit))
    result.print()
    # Printed, not stored: the data's text stays out of the repository.
    for example in examples:
        print(f"- disagreement: {example}")
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
