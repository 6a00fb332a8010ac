"""Drift in serving: how many requests after a stream switches from CoNLL-2003 news to
WNUT-16 tweets the server's drift signal rises, and that the retraining policy then
queues exactly one continue job.

    nice -n 10 .venv/bin/python benchmarks/bench_drift.py            # 5 seeds
    nice -n 10 .venv/bin/python benchmarks/bench_drift.py --quick    # smoke run

An NER model (``minilm-l6`` continued from pretrained on 100 CoNLL-2003 training
sentences, its evaluation set 200 sentences of ``eng.testa``: the drift baseline) is
registered and served (``create_app``, in process). Per seed, on a fresh server and
database: a policy ``on_drift`` with one feedback row; ``--before`` requests of
``--batch`` CoNLL-2003 sentences (other ``eng.testa`` sentences than the baseline's,
seeded sample: no alarm expected), then
up to ``--after`` requests of WNUT-16 tweets (seeded sample of its train file), until
``GET /v1/models/ner/drift`` says drifted. Default window 200 predictions, at least 50,
PSI threshold 0.2. Results go to ``benchmarks/results/drift.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import isolated_environment, load_conll, machine

RESULTS = Path(__file__).parent / "results" / "drift.json"
TRAINING = {
    "epochs": 4,
    "learning_rate": 3e-4,
    "batch_size": 8,
    "max_length": 64,
    "seed": 42,
    "progress": False,
    "num_threads": 1,
}


def first_model(home: Path, n_train: int, n_eval: int) -> Path:
    """``minilm-l6`` continued from pretrained on CoNLL-2003, saved with its record."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training

    step = continue_training(
        ModelBundle(model_name="minilm-l6"),
        load_conll("train", n_train, 42),
        validation_data=load_conll("testa", n_eval, 42),
        task_name="conll2003",
        output_dir=home / "ner-v1",
        **TRAINING,
    )
    print(f"first model: entity F1 {step.report.matrix[-1][0]:.3f} in {step.seconds:.0f} s")
    return step.path


def held_out_conll(n_eval: int, size: int, seed: int) -> Any:
    """``size`` sentences of ``eng.testa`` outside the baseline's ``n_eval`` (seeded)."""
    everything = load_conll("testa")
    baseline = set(random.Random(42).sample(range(len(everything)), n_eval))
    rest = [i for i in range(len(everything)) if i not in baseline and everything.tokens[i]]
    return everything.subset(sorted(random.Random(seed).sample(rest, size)))


def run_seed(model: Path, seed: int, args: argparse.Namespace, home: Path) -> dict[str, Any]:
    """One stream through a fresh server: requests until drift, jobs queued."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from open_interpreter.data.packaged import wnut16
    from open_interpreter.services import registry
    from open_interpreter.services.continual_tables import DriftEvent
    from open_interpreter.serving.app import create_app
    from open_interpreter.serving.settings import Settings
    from open_interpreter.storage import Database
    from open_interpreter.storage.tables import FineTuneJob

    db = Database(f"sqlite:///{home / f'seed-{seed}.db'}")
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=model)
        registry.promote(session, "ner", 1)
    conll = held_out_conll(args.n_eval, args.before * args.batch, seed)
    wnut = wnut16()
    order = random.Random(seed).sample(range(len(wnut)), args.after * args.batch)
    stream = {
        "conll": [" ".join(w) for w in conll.tokens],
        "wnut": [" ".join(wnut.tokens[i]) for i in order],
    }
    app = create_app(Settings(database_url=db.url, auth=False, torch_threads=1), db)
    with TestClient(app) as client:
        policy = {"on_drift": True, "min_feedback": 1, "strategy": "replay"}
        client.post("/v1/models/ner/retraining-policy", json=policy).raise_for_status()
        words = conll.tokens[0]
        row = {"tokens": words, "tags": ["O"] * len(words)}
        client.post("/v1/models/ner/feedback", json={"items": [row]}).raise_for_status()

        def send(texts: list[str]) -> dict[str, Any]:
            client.post("/v1/models/ner/predict", json={"texts": texts}).raise_for_status()
            return client.get("/v1/models/ner/drift").json()

        before = [
            send(stream["conll"][i : i + args.batch]) for i in range(0, len(conll), args.batch)
        ]
        false_alarm = any(status["drifted"] for status in before)
        delay, status = None, before[-1]
        for k in range(args.after):
            status = send(stream["wnut"][k * args.batch : (k + 1) * args.batch])
            if status["drifted"]:
                delay = k + 1
                break
        for k in range(3):  # still drifted: must not queue again
            send(stream["wnut"][k * args.batch : (k + 1) * args.batch])
    with db.session() as session:
        jobs = session.scalars(select(FineTuneJob).where(FineTuneJob.kind == "continue")).all()
        events = session.scalars(select(DriftEvent)).all()
    db.dispose()
    return {
        "seed": seed,
        "false_alarm": false_alarm,
        "before": {k: before[-1][k] for k in ("label_psi", "confidence_psi", "window")},
        "requests_to_drift": delay,
        "texts_to_drift": delay * args.batch if delay else None,
        "at_drift": {k: status[k] for k in ("label_psi", "confidence_psi", "reasons")},
        "adwin_detections": status["adwin_detections"],
        "continue_jobs": len(jobs),
        "drift_events": len(events),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8, help="texts per request")
    parser.add_argument("--before", type=int, default=20, help="CoNLL requests first")
    parser.add_argument("--after", type=int, default=40, help="most WNUT requests")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 40 training sentences")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    info = machine()
    sizes = {"train": 40, "eval": 100} if args.quick else {"train": 100, "eval": 200}
    seeds = 2 if args.quick else args.seeds
    args.n_eval = sizes["eval"]
    with isolated_environment() as home:
        model = first_model(home, sizes["train"], sizes["eval"])
        runs = [run_seed(model, seed, args, home) for seed in range(seeds)]
    delays = [r["requests_to_drift"] for r in runs if r["requests_to_drift"] is not None]
    summary = {
        "seeds": seeds,
        "false_alarms": sum(r["false_alarm"] for r in runs),
        "detected": len(delays),
        "requests_to_drift": {
            "median": statistics.median(delays) if delays else None,
            "max": max(delays) if delays else None,
            "all": [r["requests_to_drift"] for r in runs],
        },
        "continue_jobs_per_seed": [r["continue_jobs"] for r in runs],
    }
    print(json.dumps(summary, indent=1))
    for r in runs:
        print(r)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "command": " ".join(sys.argv[1:]),
            "machine": info,
            "sizes": sizes,
            "stream": vars(args),
            "training": TRAINING,
            "summary": summary,
            "runs": runs,
        }
        RESULTS.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
