"""Which version a predict request means: registry changes are followed, cached for a moment."""

from __future__ import annotations

from open_interpreter.services import registry

from ..fixtures.api import key, tar_gz


def test_predictions_follow_registry_changes(client, db, tiny_ner_model_dir):
    admin, reader = key(db, "admin"), key(db, "predict")
    files = {"archive": ("tiny-ner.tar.gz", tar_gz(tiny_ner_model_dir))}
    for _ in range(2):
        client.post("/v1/models", headers=admin, data={"name": "ner"}, files=files)

    def served() -> int:
        response = client.post("/v1/models/ner/predict", headers=reader, json={"texts": ["x"]})
        assert response.status_code == 200, response.text
        return response.json()["version"]

    assert served() == 2  # none in production: the latest
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 1}).raise_for_status()
    assert served() == 1  # a change through this server is seen at once
    client.post("/v1/models/ner/promote", headers=admin, json={"version": 2}).raise_for_status()
    assert served() == 2
    client.post("/v1/models/ner/rollback", headers=admin).raise_for_status()
    assert served() == 1

    with db.session() as session:  # as another process would: straight to the database
        registry.promote(session, "ner", 2)
    lookup = client.app.state.oi.versions
    assert served() == 1  # remembered for up to lookup.ttl seconds
    lookup.ttl = 0.0
    assert served() == 2
    client.delete("/v1/models/ner", headers=admin).raise_for_status()
    missing = client.post("/v1/models/ner/predict", headers=reader, json={"texts": ["x"]})
    assert missing.status_code == 404
