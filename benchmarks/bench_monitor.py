"""The financial-news monitor, measured: its sentiment model, its alert rules on a replayed
stream with injected events, and the throughput of its batched analysis.

    nice -n 10 .venv/bin/python benchmarks/bench_monitor.py            # the sizes below
    nice -n 10 .venv/bin/python benchmarks/bench_monitor.py --quick    # a smoke run
    nice -n 10 .venv/bin/python benchmarks/bench_monitor.py --lm-zero-shot-only 200

1. Sentiment. The classifier the monitor uses (``minilm-l6`` fine-tuned through the
   platform's recipe; ``apps/monitor/classifiers.py`` says on what) is scored on held-out
   tweets (never trained on) and, for agreement with the Loughran–McDonald dictionary, on
   sentences of held-back BBC business articles (no sentence of theirs trained on); beside
   it the dictionary alone and embedding zero-shot prompting (``prompting.zero_shot`` with
   ``minilm-l6``; ``--lm-zero-shot N`` adds ``smollm2-135m-instruct`` on N texts).
2. Alerts. A stream of documents ``"<Company>: <sentence>"`` about 10 companies, drawn
   from the held-back sentences (Poisson arrivals, ``--rate`` a minute). In each of
   ``--events`` events one company's documents are, from a known onset and for
   ``--event-hours``, replaced with probability ``--share`` by sentences the dictionary
   calls negative. The monitor (SQLite, 120-minute windows every 30 minutes) runs four
   rules side by side; an alert on the event's company between its onset and its end
   plus one window is a hit. A control stream of the same length without events gives
   false alarms per 10,000 documents. The threshold rule's level and Page–Hinkley's
   lambda are set on a third, calibration stream (no events, its own seed): the lowest
   on a grid giving at most 5 false alarms per 10,000 documents there; ADWIN's delta
   likewise, the largest. Each sentence is analysed
   once by the real analyzer; documents reuse its result (the stream repeats sentences).
3. Throughput. The whole analysis (sentiment per sentence, topic, alias-table entities),
   batched, on unique BBC snippets (headline and first two sentences), then the same
   through ``Monitor.ingest`` (analysis + database + windows + rules).

Results go to benchmarks/results/monitor.json and are printed as markdown.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import machine

from open_interpreter.apps.monitor import (
    AliasTable,
    Analysis,
    Analyzer,
    CachedAnalyzer,
    EntityFinder,
    LexiconAnalyzer,
    Monitor,
)
from open_interpreter.apps.monitor.classifiers import (
    TrainingSizes,
    sentiment_classifier,
    sentiment_data,
    topic_classifier,
    training_metrics,
)
from open_interpreter.apps.monitor.lexicon import load_lexicon, split_sentences

COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Soylent",
]
LABELS = ["negative", "neutral", "positive"]
DESCRIPTIONS = {
    "negative": "bad news: losses, falls, problems",
    "neutral": "a plain statement of fact",
    "positive": "good news: gains, growth, success",
}
START = datetime(2024, 1, 1)
WINDOW, STEP = 120, 30


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A smoke run (small sizes).")
    parser.add_argument(
        "--sentences",
        type=int,
        default=600,
        help="Held-back business sentences scored (and the stream's pool).",
    )
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--event-hours", type=float, default=6)
    parser.add_argument("--slot-hours", type=float, default=12, help="Hours per event slot.")
    parser.add_argument("--share", type=float, default=0.6)
    parser.add_argument("--rate", type=float, default=2.0, help="Documents a minute.")
    parser.add_argument("--throughput-docs", type=int, default=192)
    parser.add_argument("--lm-zero-shot", type=int, default=0)
    parser.add_argument(
        "--lm-zero-shot-only",
        type=int,
        default=0,
        help="Only compare smollm2-135m-instruct zero-shot with the dictionary on the first "
        "N held-out tweets and held-back sentences (no classifier trained); writes "
        "results/monitor_lm_zero_shot.json.",
    )
    parser.add_argument(
        "--also-lexicon",
        action="store_true",
        help="Run the detectors on dictionary-alone sentiment too.",
    )
    parser.add_argument(
        "--base-model",
        default="minilm-l6",
        help="Encoder the classifiers start from (a directory for smoke runs).",
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "monitor.json"
    )
    args = parser.parse_args()
    if args.quick:
        args.sentences, args.events, args.throughput_docs = 120, 4, 32
    return args


# -- 1. sentiment ------------------------------------------------------------------------


def score_labels(gold: list[str], predicted: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    return {
        "n": len(gold),
        "accuracy": round(accuracy_score(gold, predicted), 4),
        "macro_f1": round(
            f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0), 4
        ),
        "kappa": round(cohen_kappa_score(gold, predicted), 4),
    }


def zero_shot_labels(name: str, texts: list[str]) -> list[str]:
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.prompting import zero_shot

    bundle = ModelBundle(model_name=name)
    bundle.ensure_loaded()
    labels: Any = DESCRIPTIONS if name == "minilm-l6" else LABELS
    return zero_shot(bundle.model, bundle.tokenizer, texts, labels).predicted_labels


def sentiment_section(args, sizes, analyzer, topic, held_back: list[str]) -> dict[str, Any]:
    data = sentiment_data(sizes)
    lexicon = load_lexicon()
    tweets, gold = data.test_tweets, data.test_tweet_labels
    weak = [lexicon.label(s) for s in held_back]
    started = time.perf_counter()
    model_tweets = [a.label for a in analyzer.analyse(tweets)]
    model_sentences = [a.label for a in analyzer.analyse(held_back)]
    scoring_seconds = time.perf_counter() - started
    rows = {
        "fine-tuned classifier": (
            score_labels(gold, model_tweets),
            score_labels(weak, model_sentences),
        ),
        "LM dictionary alone": (
            score_labels(gold, [lexicon.label(t) for t in tweets]),
            score_labels(weak, weak),
        ),
        "zero-shot, minilm-l6 embeddings": (
            score_labels(gold, zero_shot_labels("minilm-l6", tweets)),
            score_labels(weak, zero_shot_labels("minilm-l6", held_back)),
        ),
    }
    if args.lm_zero_shot:
        n = args.lm_zero_shot
        rows[f"zero-shot, smollm2-135m-instruct ({n} texts each)"] = (
            score_labels(gold[:n], zero_shot_labels("smollm2-135m-instruct", tweets[:n])),
            score_labels(weak[:n], zero_shot_labels("smollm2-135m-instruct", held_back[:n])),
        )
    polar = [i for i, label in enumerate(weak) if label != "neutral"]
    return {
        "training": {
            name: _training(bundle)
            for name, bundle in (("sentiment", analyzer.analyzer.sentiment), ("topic", topic))
        },
        "sizes": vars(sizes),
        "rows": {name: {"tweets": t, "financial_agreement": f} for name, (t, f) in rows.items()},
        "polar_agreement": score_labels(
            [weak[i] for i in polar], [model_sentences[i] for i in polar]
        ),
        "weak_label_counts": {label: weak.count(label) for label in LABELS},
        "scoring_seconds": round(scoring_seconds, 1),
    }


def _training(bundle) -> dict[str, Any]:
    record = training_metrics(bundle)
    test = record.get("reports", {}).get("test", {})
    return {
        "data": record.get("data"),
        "train_seconds": record.get("train_seconds"),
        "test_accuracy": test.get("accuracy"),
        "test_macro_f1": test.get("macro_f1"),
    }


# -- 2. alerts ---------------------------------------------------------------------------


class PoolAnalyzer:
    """Documents ``"<Company>: <sentence>"``: the sentence's analysis (computed once by the
    real analyzer), the company found by the real alias table."""

    def __init__(self, pool: dict[str, Analysis], entities: EntityFinder):
        self.pool, self.entities = pool, entities

    def analyse(self, texts: list[str]) -> list[Analysis]:
        found = self.entities.find(texts)
        results = []
        for text, mentions in zip(texts, found, strict=True):
            base = self.pool[text.split(": ", 1)[1]]
            results.append(Analysis(None, base.sentiment, base.negative, mentions, base.label))
        return results


def make_stream(args, pool: list[str], negative: list[str], seed: int, events: bool):
    rng = random.Random(seed)
    hours = args.events * args.slot_hours
    onsets = []
    if events:
        for k in range(args.events):
            offset = rng.uniform(0.25, 0.5) * args.slot_hours  # a baseline before each onset
            onsets.append(
                (
                    COMPANIES[k % len(COMPANIES)],
                    START + timedelta(hours=k * args.slot_hours + offset),
                )
            )
    documents, minute = [], 0.0
    while minute < hours * 60:
        minute += rng.expovariate(args.rate)
        moment = START + timedelta(minutes=minute)
        company = rng.choice(COMPANIES)
        hit = any(
            c == company and o <= moment < o + timedelta(hours=args.event_hours) for c, o in onsets
        )
        sentence = rng.choice(negative if hit and rng.random() < args.share else pool)
        documents.append(
            {
                "id": f"{seed}-{len(documents)}",
                "time": moment,
                "source": "bench",
                "text": f"{company}: {sentence}",
            }
        )
    return documents, onsets


def rules(threshold: float, lam: float, delta: float) -> list[dict[str, Any]]:
    common = {"keys": "entity:*", "cooldown_minutes": 360}
    return [
        {
            "name": "threshold",
            "kind": "threshold",
            "metric": "share_negative",
            "above": threshold,
            "min_volume": 10,
            **common,
        },
        {
            "name": "zscore",
            "kind": "zscore",
            "metric": "share_negative",
            "direction": "up",
            "z": 3.0,
            "baseline": 24,
            "min_volume": 10,
            **common,
        },
        {"name": "adwin", "kind": "adwin", "direction": "down", "delta": delta, **common},
        {
            "name": "page-hinkley",
            "kind": "page-hinkley",
            "direction": "down",
            "delta": 0.005,
            "threshold": lam,
            **common,
        },
    ]


def run_stream(name: str, documents, analyzer, rule_list, database: str) -> tuple[list, float]:
    monitor = Monitor(
        name,
        database=database,
        analyzer=analyzer,
        window_minutes=WINDOW,
        step_minutes=STEP,
        topics=False,
        rules=rule_list,
        aliases={c: {"type": "company", "aliases": []} for c in COMPANIES},
    )
    started = time.perf_counter()
    monitor.replay(documents, batch_size=256)
    return monitor.alerts(limit=1_000_000), time.perf_counter() - started


def calibrate(args, pool_analysis, pool, negative) -> tuple[float, float, float]:
    """The threshold level, Page–Hinkley's lambda and ADWIN's delta giving <= 5 false
    alarms per 10k documents on a calibration stream without events (the most sensitive
    on each grid), counted by the monitor's own alert engine on its windows and documents."""
    from open_interpreter.apps.monitor.aggregation import Observation, aggregate, due_window_ends
    from open_interpreter.apps.monitor.alerts import AlertEngine
    from open_interpreter.apps.monitor.settings import Rule

    documents, _ = make_stream(args, pool, negative, seed=99, events=False)
    budget = 5 * len(documents) / 10_000
    seen = []
    for d in documents:
        company, sentence = d["text"].split(": ", 1)
        a = pool_analysis[sentence]
        seen.append(Observation(f"entity:{company}", d["time"], a.sentiment, a.negative))
    window, step = timedelta(minutes=WINDOW), timedelta(minutes=STEP)
    ends = due_window_ends(
        [o.time for o in seen], after=None, watermark=seen[-1].time, window=window, step=step
    )
    points = aggregate(seen, ends, window)
    by_name = {rule["name"]: rule for rule in rules(0.5, 10, 0.002)}

    def window_alarms(level: float) -> int:
        engine = AlertEngine([Rule(**{**by_name["threshold"], "above": level})])
        return sum(
            len(engine.on_window(key, end, point))
            for end in ends
            for key, point in sorted(points[end].items())
        )

    def document_alarms(name: str, **setting: float) -> int:
        engine = AlertEngine([Rule(**{**by_name[name], **setting})])
        return sum(len(engine.on_document(o.key, o.time, o.sentiment)) for o in seen)

    levels = [x / 20 for x in range(4, 20)]
    level = next((x for x in levels if window_alarms(x) <= budget), 1.0)
    lambdas = [2, 3, 5, 8, 10, 15, 20, 30, 50, 100]
    lam = next(
        (x for x in lambdas if document_alarms("page-hinkley", threshold=x) <= budget),
        lambdas[-1],
    )
    deltas = [0.2, 0.1, 0.05, 0.02, 0.01, 0.002]  # larger: more sensitive
    delta = next((x for x in deltas if document_alarms("adwin", delta=x) <= budget), 0.002)
    return level, lam, delta


def score_alerts(alerts, onsets, documents, args) -> dict[str, dict[str, Any]]:
    grace = timedelta(hours=args.event_hours, minutes=WINDOW)
    times = {
        c: sorted(d["time"] for d in documents if d["text"].startswith(c + ":")) for c in COMPANIES
    }
    table = {}
    for rule in ("threshold", "zscore", "adwin", "page-hinkley"):
        mine = sorted((a for a in alerts if a["rule"] == rule), key=lambda a: a["time"])
        hits, first = 0, {}
        for alert in mine:
            company, moment = (
                alert["key"].removeprefix("entity:"),
                datetime.fromisoformat(alert["time"]),
            )
            event = next(
                (i for i, (c, o) in enumerate(onsets) if c == company and o <= moment <= o + grace),
                None,
            )
            if event is not None:
                hits += 1
                first.setdefault(event, moment)
        delays = [(first[i] - onsets[i][1]).total_seconds() / 60 for i in first]
        docs = [sum(onsets[i][1] <= t <= first[i] for t in times[onsets[i][0]]) for i in first]
        table[rule] = {
            "alerts": len(mine),
            "precision": round(hits / len(mine), 3) if mine else None,
            "recall": round(len(first) / len(onsets), 3),
            "median_delay_minutes": _median(delays),
            "median_delay_documents": _median(docs),
        }
    return table


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return round(
        ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2, 1
    )


def alerts_section(
    args, analyzer, held_back: list[str], directory: Path, suffix: str = ""
) -> dict[str, Any]:
    lexicon = load_lexicon()
    pool = held_back
    negative = [s for s in pool if lexicon.label(s) == "negative"]
    pool_analysis = dict(zip(pool, analyzer.analyse(pool), strict=True))
    entities = EntityFinder(AliasTable({c: {"type": "company", "aliases": []} for c in COMPANIES}))
    bench = PoolAnalyzer(pool_analysis, entities)
    chosen = rules(*calibrate(args, pool_analysis, pool, negative))
    stream, onsets = make_stream(args, pool, negative, seed=1, events=True)
    control, _ = make_stream(args, pool, negative, seed=2, events=False)
    alerts, seconds = run_stream(
        "events", stream, bench, chosen, f"sqlite:///{directory}/e{suffix}.db"
    )
    quiet, _ = run_stream("control", control, bench, chosen, f"sqlite:///{directory}/c{suffix}.db")
    table = score_alerts(alerts, onsets, stream, args)
    for rule, row in table.items():
        false = sum(a["rule"] == rule for a in quiet)
        row["false_alarms_per_10k_docs"] = round(false * 10_000 / len(control), 2)
    return {
        "settings": {
            "events": args.events,
            "event_hours": args.event_hours,
            "slot_hours": args.slot_hours,
            "share": args.share,
            "rate_per_minute": args.rate,
            "window_minutes": WINDOW,
            "step_minutes": STEP,
            "pool_sentences": len(pool),
            "negative_pool": len(negative),
        },
        "rules": chosen,
        "documents": len(stream),
        "control_documents": len(control),
        "replay_seconds": round(seconds, 1),
        "by_rule": table,
    }


# -- 3. throughput -----------------------------------------------------------------------


def snippets(n: int, seed: int) -> list[str]:
    from open_interpreter.data.packaged import bbc_news

    articles = list(bbc_news().texts)
    random.Random(seed).shuffle(articles)
    found = []
    for article in articles[:n]:
        headline, _, body = article.partition("\n")
        found.append(" ".join([headline.strip() + ".", *split_sentences(body)[:2]]))
    return found


def throughput_section(args, analyzer, directory: Path) -> dict[str, Any]:
    texts = [f"{COMPANIES[i % 10]}: {t}" for i, t in enumerate(snippets(args.throughput_docs, 5))]
    analyzer.analyse(texts[:8])  # warm up
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        analyzer.analyse(texts[i : i + 64])
    analysis = time.perf_counter() - started
    documents = [
        {"id": str(i), "time": START + timedelta(minutes=i), "source": "bench", "text": t}
        for i, t in enumerate(texts)
    ]
    monitor = Monitor(
        "throughput",
        database=f"sqlite:///{directory}/t.db",
        analyzer=analyzer,
        aliases={c: {"type": "company", "aliases": []} for c in COMPANIES},
        rules=rules(0.6, 10, 0.002),
    )
    batches = []
    for i in range(0, len(documents), 64):
        started = time.perf_counter()
        monitor.ingest(documents[i : i + 64])
        batches.append(time.perf_counter() - started)
    return {
        "documents": len(texts),
        "batch_size": 64,
        "analysis_docs_per_second": round(len(texts) / analysis, 2),
        "ingest_docs_per_second": round(len(texts) / sum(batches), 2),
        "ingest_seconds_per_batch_of_64": round(sum(batches) / len(batches), 2),
    }


def to_markdown(result: dict[str, Any]) -> str:
    """The tables docs/monitor.md shows."""
    sentiment = result["sentiment"]
    lines = [
        "| sentiment from | tweets: accuracy | tweets: macro-F1 | agreement with LM "
        "dictionary | kappa |",
        "|---|---|---|---|---|",
    ]
    for name, row in sentiment["rows"].items():
        t, f = row["tweets"], row["financial_agreement"]
        lines.append(
            f"| {name} | {t['accuracy']:.3f} | {t['macro_f1']:.3f} | "
            f"{f['accuracy']:.3f} | {f['kappa']:.3f} |"
        )
    for key, title in (("alerts", "model sentiment"), ("alerts_lexicon", "dictionary sentiment")):
        if key not in result:
            continue
        alerts = result[key]
        lines += [
            "",
            f"Detectors on {title} ({alerts['documents']:,} documents, "
            f"{alerts['settings']['events']} events; control: "
            f"{alerts['control_documents']:,} documents):",
            "",
            "| rule | setting | alerts | precision | recall | median delay (min) | "
            "median delay (docs) | false alarms / 10k docs |",
            "|---|---|---|---|---|---|---|---|",
        ]
        settings = {r["name"]: r for r in alerts["rules"]}
        shown = {"threshold": "above", "zscore": "z", "adwin": "delta", "page-hinkley": "threshold"}
        for name, row in alerts["by_rule"].items():
            setting = f"{shown[name]} = {settings[name][shown[name]]}"
            lines.append(
                f"| {name} | {setting} | {row['alerts']} | {row['precision']} | "
                f"{row['recall']} | {row['median_delay_minutes']} | "
                f"{row['median_delay_documents']} | {row['false_alarms_per_10k_docs']} |"
            )
    t = result["throughput"]
    lines += [
        "",
        f"Throughput ({t['documents']} documents, batches of {t['batch_size']}): "
        f"analysis {t['analysis_docs_per_second']} documents/s; Monitor.ingest "
        f"{t['ingest_docs_per_second']} documents/s, "
        f"{t['ingest_seconds_per_batch_of_64']} s a batch.",
    ]
    return "\n".join(lines)


def lm_zero_shot_only(args, sizes: TrainingSizes) -> None:
    """Zero-shot prompting with the only packaged LM against the dictionary, on the same
    texts as the full run's first N (held-out tweets; seeded held-back sentences)."""
    n = args.lm_zero_shot_only
    data = sentiment_data(sizes)
    held_back = random.Random(7).sample(
        data.held_back_sentences, min(args.sentences, len(data.held_back_sentences))
    )[:n]
    tweets, gold = data.test_tweets[:n], data.test_tweet_labels[:n]
    lexicon = load_lexicon()
    weak = [lexicon.label(s) for s in held_back]
    result: dict[str, Any] = {"machine": machine(), "n": n}
    started = time.perf_counter()
    lm_tweets = zero_shot_labels("smollm2-135m-instruct", tweets)
    lm_sentences = zero_shot_labels("smollm2-135m-instruct", held_back)
    result["lm_seconds"] = round(time.perf_counter() - started, 1)
    result["rows"] = {
        "LM dictionary alone": {
            "tweets": score_labels(gold, [lexicon.label(t) for t in tweets]),
            "financial_agreement": score_labels(weak, weak),
        },
        "zero-shot, smollm2-135m-instruct": {
            "tweets": score_labels(gold, lm_tweets),
            "financial_agreement": score_labels(weak, lm_sentences),
        },
    }
    result["predicted_counts"] = {
        "tweets": {label: lm_tweets.count(label) for label in LABELS},
        "sentences": {label: lm_sentences.count(label) for label in LABELS},
    }
    result["weak_label_counts"] = {label: weak.count(label) for label in LABELS}
    out = args.out.parent / "monitor_lm_zero_shot.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))


def main() -> None:
    args = parse_args()
    sizes = TrainingSizes(model=args.base_model)
    if args.lm_zero_shot_only:
        lm_zero_shot_only(args, sizes)
        return
    if args.quick:
        sizes = TrainingSizes(
            model=args.base_model,
            topic_articles=60,
            tweets=100,
            financial_sentences=50,
            held_out_tweets=60,
            epochs=1,
            trainable_top_layers=1,
        )
    started = time.perf_counter()
    sentiment, topic = sentiment_classifier(sizes), topic_classifier(sizes)
    analyzer = Analyzer(
        sentiment,
        EntityFinder(AliasTable({c: {"type": "company", "aliases": []} for c in COMPANIES})),
        topic,
    )
    held_back = sentiment_data(sizes).held_back_sentences
    held_back = random.Random(7).sample(held_back, min(args.sentences, len(held_back)))
    result: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "load_seconds": round(time.perf_counter() - started, 1),
    }
    # the stream's pool is the held-back sentences scored in part 1: analysed once
    analyzer_no_topic = CachedAnalyzer(Analyzer(sentiment, analyzer.entities, None))
    result["sentiment"] = sentiment_section(args, sizes, analyzer_no_topic, topic, held_back)
    print(json.dumps(result["sentiment"], indent=1, default=str), flush=True)
    with tempfile.TemporaryDirectory() as directory:
        result["alerts"] = alerts_section(args, analyzer_no_topic, held_back, Path(directory))
        print(json.dumps(result["alerts"]["by_rule"], indent=1), flush=True)
        if args.also_lexicon:
            lexicon = LexiconAnalyzer(analyzer.entities)
            result["alerts_lexicon"] = alerts_section(
                args, lexicon, held_back, Path(directory), "-lexicon"
            )
            print(json.dumps(result["alerts_lexicon"]["by_rule"], indent=1), flush=True)
        result["throughput"] = throughput_section(args, analyzer, Path(directory))
    print(json.dumps(result["throughput"], indent=1), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    print(to_markdown(result))


if __name__ == "__main__":
    main()
