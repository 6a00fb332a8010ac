"""Drift in serving: a stream that switches from CoNLL-style sentences to WNUT-style
tweets raises the drift signal within a bounded number of requests, on /metrics and the
drift route, and the policy queues exactly one continue job (tiny NER model; the real
measurement with minilm-l6 is benchmarks/bench_drift.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from open_interpreter.continual.drift import (
    Baseline,
    DriftWindow,
    Observation,
    observation_of,
    population_stability_index,
)
from open_interpreter.services.continual_tables import DriftEvent
from open_interpreter.storage.tables import FineTuneJob

from ..continual.helpers import FAST
from ..fixtures.api import key, upload_model
from ..fixtures.data import ner_sentences

TWEETS = [  # WNUT-style: handles, hashtags, links, slang (unknown words to this model)
    "@jmaz lol cant wait 4 #coachella http://t.co/x1",
    "omg @bieber ur show was sick !!! #beliebers",
    "rt @nyknicks : melo out tonite , ugh",
    "gonna c #starwars w/ @sam tmrw :)",
]
BOUND = 8  # requests of 16 tweets after the switch (measured: see the test's output)


@pytest.fixture(scope="module")
def continued(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny NER model trained on CoNLL-style sentences by continue_training, so it
    carries its evaluation set (the drift baseline). Read-only."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training
    from open_interpreter.data.examples import TokenExamples

    step = continue_training(
        ModelBundle(model_name=str(tiny_bert_dir)),
        TokenExamples(*ner_sentences(48, seed=1), source="conll-style"),
        validation_data=TokenExamples(*ner_sentences(24, seed=2), source="held out"),
        output_dir=tmp_path_factory.mktemp("drift") / "ner",
        task_name="conll-style",
        **FAST,
    )
    return step.path


def test_psi_and_the_window():
    assert population_stability_index({"a": 1, "b": 1}, {"a": 5, "b": 5}) == 0
    assert population_stability_index({"a": 1, "b": 1}, {"a": 9, "b": 1}) > 0.2
    baseline = Baseline.of([Observation(("pos",), 0.9), Observation(("neg",), 0.6)] * 50)
    window = DriftWindow(baseline, size=20, min_size=10)
    assert window.recover == 0.1
    for _ in range(5):
        window.observe(Observation(("pos",), 0.9))
        window.observe(Observation(("neg",), 0.6))
    assert not window.status().drifted and window.status().label_psi == 0
    for _ in range(20):  # the window forgets the balanced part
        window.observe(Observation(("neg",), 0.55))
    status = window.status()
    assert status.drifted and status.window == 20
    assert any("label PSI" in r for r in status.reasons)
    ner = observation_of({"tags": ["B-PER", "I-PER", "O"], "scores": [0.9, 0.8, 1.0]})
    assert ner.labels == ("PER", "PER", "O") and abs(ner.confidence - 0.9) < 1e-9


def test_a_shifted_stream_raises_drift_and_queues_one_continue_job(client, db, continued):
    admin, predict = key(db, "admin"), key(db, "predict")
    upload_model(client, admin, "ner", continued)
    policy = {"on_drift": True, "min_feedback": 1, "strategy": "replay"}
    assert (
        client.post(
            "/v1/models/ner/retraining-policy", headers=key(db, "train"), json=policy
        ).status_code
        == 200
    )
    feedback = {"items": [{"text": TWEETS[0], "tags": ["O"] * len(TWEETS[0].split())}]}
    response = client.post("/v1/models/ner/feedback", headers=predict, json=feedback)
    assert response.json()["queued_job"] is None  # not drifted yet

    def drift() -> dict:
        response = client.get("/v1/models/ner/drift", headers=predict)
        assert response.status_code == 200, response.text
        return response.json()

    report = client.get("/v1/models/ner/continual-report", headers=predict).json()
    assert report["tasks"] == ["conll-style"] and len(report["matrix"]) == 1
    assert report["version"] == 1 and report["gate"] is None  # uploaded, not gated
    unseen = client.get("/v1/models/ner/drift?observed_only=true", headers=predict).json()
    assert unseen == {"model": "ner", "version": 1, "tracked": False}  # nothing loaded
    assert client.app.state.oi.cache.loads == 0
    assert drift()["baseline"] == "continual evaluation sets" and not drift()["drifted"]
    eval_file = continued / "continual" / "eval" / "task-0.json"
    texts = [" ".join(item["tokens"]) for item in json.loads(eval_file.read_text())["items"]]

    def send(batch: list[str]) -> None:
        response = client.post("/v1/models/ner/predict", headers=predict, json={"texts": batch})
        assert response.status_code == 200, response.text

    while drift()["window"] < 100:  # CoNLL-style: the evaluation data itself, no drift
        send(texts)
    before = drift()
    assert not before["drifted"] and before["label_psi"] < 0.05, before
    requests = 0
    while not drift()["drifted"]:
        requests += 1
        assert requests <= BOUND, drift()
        send(TWEETS * 4)
    after = drift()
    print(f"drifted after {requests} requests of 16 tweets: {after['reasons']}")
    assert after["reasons"] and after["events"][0]["job_id"] is not None
    for _ in range(3):  # still drifted: no second event, no second job
        send(TWEETS * 4)
    metrics = client.get("/metrics", headers=admin).text
    assert 'oi_drift_detected{model="ner",version="1"} 1.0' in metrics
    assert 'oi_drift_label_psi{model="ner",version="1"}' in metrics
    with db.session() as session:
        jobs = list(session.scalars(select(FineTuneJob).where(FineTuneJob.kind == "continue")))
        events = list(session.scalars(select(DriftEvent)))
    assert len(jobs) == 1 and jobs[0].config["trigger"] == "drift"
    assert len(events) == 1 and events[0].job_id == jobs[0].id


def test_a_drifted_window_recovers_only_under_the_moderate_level():
    baseline = Baseline.of([Observation(("a",), 0.9), Observation(("b",), 0.6)] * 50)
    window = DriftWindow(baseline, size=10, min_size=10)
    for _ in range(10):
        window.observe(Observation(("a",), 0.9))
    assert window.status().drifted
    for label in "bababa":  # back to 7 a / 3 b: PSI between 0.1 and 0.2
        window.observe(Observation((label,), 0.9 if label == "a" else 0.6))
    status = window.status()
    assert 0.1 < status.label_psi <= 0.2 and status.drifted
    assert "not yet back under 0.1" in status.reasons[0]
    for label in "ba":
        window.observe(Observation((label,), 0.9 if label == "a" else 0.6))
    assert not window.status().drifted  # 6 a / 4 b: under 0.1
