"""``/v1/evaluations``: a registered model scored on an uploaded dataset, stored and listed."""

from __future__ import annotations

from ..fixtures.api import key, problem, upload_model
from ..fixtures.data import conll_bytes


def test_evaluations_are_stored(client, db, tiny_ner_model_dir):
    admin = key(db, "admin")
    upload_model(client, admin, "ner", tiny_ner_model_dir)
    dataset = client.post(
        "/v1/datasets", headers=admin, files={"file": ("dev.conll", conll_bytes(12, 3))}
    ).json()
    response = client.post(
        "/v1/evaluations", headers=admin, json={"model_name": "ner", "dataset_id": dataset["id"]}
    )
    assert response.status_code == 201, response.text
    report = response.json()["report"]
    assert report["task"] == "token-classification" and "Entity level" in report["text"]
    listed = client.get("/v1/evaluations", headers=admin, params={"model_name": "ner"}).json()
    assert listed["count"] == 1
    client.delete("/v1/models/ner", headers=admin).raise_for_status()
    gone = client.get("/v1/evaluations", headers=admin, params={"model_name": "ner"}).json()
    assert gone["count"] == 0  # a deleted model's evaluations go with it
    problem(client.get(f"/v1/evaluations/{response.json()['id']}", headers=admin), 404, "not_found")
