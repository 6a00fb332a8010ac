"""A served version's drift window survives a server restart: saved every few predictions
and when the server stops, resumed (with whether it was drifted) when it is served again;
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.continual.drift import Baseline, DriftWindow, Observation
from open_interpreter.services.continual_tables import StoredDriftWindow

from ..continual.helpers import first_version
from ..fixtures.api import key, make_client, upload_model
from ..fixtures.data import sentiment_texts


@pytest.fixture(scope="module")
def continued(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny sentiment classifier carrying its evaluation set (its drift baseline)."""
    return first_version(tiny_bert_dir, tmp_path_factory.mktemp("restart") / "sent").path


def test_a_restored_window_keeps_the_newest_and_stays_drifted_until_it_recovers():
    baseline = Baseline.of([Observation(("a",), 0.9), Observation(("b",), 0.6)] * 50)
    window = DriftWindow(baseline, size=10, min_size=10)
    window.observe(Observation(("b",), 0.6))
    window.restore([Observation(("a",), 0.9)] * 12, drifted=True)
    assert len(window) == 10 and window.observations()[-1].labels == ("b",)
    assert window.drifted
    for label in "babab":  # 5 a / 5 b would not drift a fresh window; back under 0.1
        window.observe(Observation((label,), 0.9 if label == "a" else 0.6))
    assert not window.status().drifted


def test_the_drift_window_survives_a_restart(db, continued):
    texts, _ = sentiment_texts(10, seed=3)
    admin, predict = key(db, "admin"), key(db, "predict")

    def drift(client) -> dict:
        response = client.get("/v1/models/sent/drift", headers=predict)
        assert response.status_code == 200, response.text
        return response.json()

    def send(client, batch: list[str]) -> None:
        response = client.post("/v1/models/sent/predict", headers=predict, json={"texts": batch})
        assert response.status_code == 200, response.text

    with make_client(db) as first:
        upload_model(first, admin, "sent", continued)
        for _ in range(3):
            send(first, texts)
        assert drift(first)["window"] == 30
    with db.session() as session:  # saved after 20, then the rest when the server stopped
        stored = session.get(StoredDriftWindow, ("sent", 1))
        assert len(stored.observations) == 30 and stored.drifted is False
    with make_client(db) as second:
        assert (
            second.get("/v1/models/sent/drift?observed_only=true", headers=predict).json()[
                "tracked"
            ]
            is False
        )  # not served yet since this start
        send(second, texts[:5])
        resumed = drift(second)
        assert resumed["window"] == 35 and resumed["label_psi"] is not None
