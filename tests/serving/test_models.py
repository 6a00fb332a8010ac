"""The model registry over HTTP: register archives, promote, roll back, predict a version."""

from __future__ import annotations

import io
import zipfile

from ..fixtures.api import key, problem, tar_gz, upload_model


def test_register_promote_predict_and_roll_back(client, db, tiny_ner_model_dir):
    admin = key(db, "admin")
    files = {"archive": ("tiny-ner.tar.gz", tar_gz(tiny_ner_model_dir))}
    first = client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)
    assert first.status_code == 201, first.text
    second = client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    audit = client.get("/v1/audit", headers=admin, params={"action": "model.register"}).json()
    events = audit["data"]
    assert sorted(e["target"] for e in events) == ["ner@1", "ner@2"]
    assert {e["detail"]["source"] for e in events} == {"upload"}
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 1}).raise_for_status()
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 2}).raise_for_status()
    assert client.post("/v1/models/ner/rollback", headers=admin).json()["version"] == 1

    reader = key(db, "predict")
    response = client.post(
        "/v1/models/ner/predict",
        headers=reader,
        json={"texts": ["Mary visited Berlin", "john works at acme corp"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["task"]) == (1, "token-classification")
    entities = body["predictions"][0]["entities"]
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in entities] == [
        ("PER", "Mary", 0, 4),
        ("LOC", "Berlin", 13, 19),
    ]
    versioned = client.post(
        "/v1/models/ner/predict", headers=reader, json={"texts": ["mary"], "version": 2}
    ).json()
    assert versioned["version"] == 2
    problem(
        client.post("/v1/models/nope/predict", headers=reader, json={"texts": ["x"]}),
        404,
        "not_found",
    )
    problem(
        client.post("/v1/models/ner/predict", headers=reader, json={"texts": []}),
        422,
        "validation_error",
    )


def test_archives_that_escape_are_refused(client, db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil/oi_model.json", "{}")
    response = client.post(
        "/v1/models",
        headers=key(db, "admin"),
        data={"name": "evil"},
        files={"archive": ("evil.zip", buffer.getvalue())},
    )
    assert "escapes" in problem(response, 400, "invalid_archive")["detail"]


def test_deleting_a_model_needs_admin_as_promoting_does(client, db, tiny_ner_model_dir):
    admin = key(db, "admin")
    upload_model(client, admin, "ner", tiny_ner_model_dir)
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 1}).raise_for_status()
    for scope in ("predict", "train"):
        problem(client.delete("/v1/models/ner", headers=key(db, scope)), 403, "forbidden")
    assert client.get("/v1/models/ner", headers=admin).status_code == 200  # still there
    assert client.delete("/v1/models/ner", headers=admin).status_code == 204
    problem(client.get("/v1/models/ner", headers=admin), 404, "not_found")
