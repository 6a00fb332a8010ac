"""Drift in serving: a stream that leaves the evaluation data's distribution raises the
drift signal within a bounded number of requests, on /metrics and the drift route, and
the policy queues exactly one continue job."""

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

from ..continual.helpers import first_version
from ..fixtures.api import key, upload_model

SHIFTED = "the the the"  # far from the sentiment data: one label, one confidence
BOUND = 6  # requests of 16 shifted texts after the switch


@pytest.fixture(scope="module")
def continued(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sentiment classifier with a continual record (read-only)."""
    return first_version(tiny_bert_dir, tmp_path_factory.mktemp("drift") / "sent").path


def test_psi_and_the_window():
    assert population_stability_index({"a": 1, "b": 1}, {"a": 5, "b": 5}) == 0
    assert population_stability_index({"a": 1, "b": 1}, {"a": 9, "b": 1}) > 0.2
    baseline = Baseline.of([Observation(("pos",), 0.9), Observation(("neg",), 0.6)] * 50)
    window = DriftWindow(baseline, size=20, min_size=10)
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
    upload_model(client, admin, "sent", continued)
    policy = {"on_drift": True, "min_feedback": 1, "strategy": "replay"}
    assert (
        client.post(
            "/v1/models/sent/retraining-policy", headers=key(db, "train"), json=policy
        ).status_code
        == 200
    )
    feedback = {"items": [{"text": SHIFTED, "label": "negative"}]}
    response = client.post("/v1/models/sent/feedback", headers=predict, json=feedback)
    assert response.json()["queued_job"] is None  # not drifted yet

    def drift() -> dict:
        response = client.get("/v1/models/sent/drift", headers=predict)
        assert response.status_code == 200, response.text
        return response.json()

    unseen = client.get("/v1/models/sent/drift?observed_only=true", headers=predict).json()
    assert unseen == {"model": "sent", "version": 1, "tracked": False}  # nothing loaded
    assert client.app.state.oi.cache.loads == 0
    assert drift()["baseline"] == "continual evaluation sets" and not drift()["drifted"]
    eval_file = continued / "continual" / "eval" / "task-0.json"
    texts = [item["text"] for item in json.loads(eval_file.read_text())["items"]]

    def send(batch: list[str]) -> None:
        response = client.post("/v1/models/sent/predict", headers=predict, json={"texts": batch})
        assert response.status_code == 200, response.text

    while drift()["window"] < 50:  # the evaluation data itself: no drift
        send(texts)
    before = drift()
    assert not before["drifted"] and before["label_psi"] < 0.05, before
    requests = 0
    while not drift()["drifted"]:
        requests += 1
        assert requests <= BOUND, drift()
        send([SHIFTED] * 16)
    after = drift()
    assert after["reasons"] and after["events"][0]["job_id"] is not None
    for _ in range(3):  # still drifted: no second event, no second job
        send([SHIFTED] * 16)
    metrics = client.get("/metrics", headers=admin).text
    assert 'oi_drift_detected{model="sent",version="1"} 1.0' in metrics
    assert 'oi_drift_label_psi{model="sent",version="1"}' in metrics
    with db.session() as session:
        jobs = list(session.scalars(select(FineTuneJob).where(FineTuneJob.kind == "continue")))
        events = list(session.scalars(select(DriftEvent)))
    assert len(jobs) == 1 and jobs[0].config["trigger"] == "drift"
    assert len(events) == 1 and events[0].job_id == jobs[0].id
