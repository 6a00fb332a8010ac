"""``GET /v1/audit``: promotions, rollbacks, deletions and keys, newest first, with the key
and the address that made them; admin keys only; filtered by action and target, paged."""

from __future__ import annotations

from open_interpreter.services import registry
from open_interpreter.services.api_keys import create_key

from ..fixtures.api import key, problem
from ..services.records import fake_saved_model


def test_model_changes_name_the_key_and_address(client, db, tmp_path):
    with db.session() as session:
        for i in range(2):
            source = fake_saved_model(tmp_path / str(i))
            registry.register_directory(session, model_name="ner", path=source)
        row, secret = create_key(session, name="release", scope="admin")
    admin = {"Authorization": f"Bearer {secret}"}
    for version in (1, 2):
        promoted = client.post("/v1/models/ner/promote", headers=admin, json={"version": version})
        assert promoted.status_code == 200, promoted.text
    assert client.post("/v1/models/ner/rollback", headers=admin).status_code == 200
    problem(client.post("/v1/models/nope/rollback", headers=admin), 404, "not_found")
    assert client.delete("/v1/models/ner", headers=admin).status_code == 204

    answer = client.get("/v1/audit", headers=admin, params={"target": "ner"}).json()
    assert answer["count"] == 4
    assert [(e["action"], e["target"]) for e in answer["data"]] == [
        ("model.delete", "ner"),
        ("model.rollback", "ner@1"),
        ("model.promote", "ner@2"),
        ("model.promote", "ner@1"),
    ]
    first = answer["data"][-1]
    assert first["actor"] == f"release ({row.prefix}…)" and first["actor_key_id"] == row.id
    assert first["client_address"] == "testclient"
    assert first["detail"] == {"from_stage": "none", "archived": None}
    assert answer["data"][0]["detail"] == {"task": "token-classification", "versions": [1, 2]}
    stamps = [e["created_at"] for e in answer["data"]]
    assert stamps == sorted(stamps, reverse=True)

    promotions = client.get("/v1/audit", headers=admin, params={"action": "model.promote"})
    assert [e["target"] for e in promotions.json()["data"]] == ["ner@2", "ner@1"]
    page = client.get("/v1/audit", headers=admin, params={"target": "ner", "limit": 1, "offset": 1})
    assert page.json()["count"] == 4 and page.json()["data"][0]["action"] == "model.rollback"
    keys = client.get("/v1/audit", headers=admin, params={"action": "key.create"}).json()
    assert row.id in {e["target"] for e in keys["data"]}


def test_the_log_is_for_admins_and_checks_its_filters(client, db):
    problem(client.get("/v1/audit", headers=key(db, "train")), 403, "forbidden")
    admin = key(db, "admin")
    unknown = client.get("/v1/audit", headers=admin, params={"action": "model.drop"})
    assert "unknown audit action" in problem(unknown, 422, "invalid_config")["detail"]
    problem(client.get("/v1/audit", headers=admin, params={"limit": 0}), 422, "validation_error")
    problem(
        client.get("/v1/audit", headers=admin, params={"target": "x" * 301}),
        422,
        "validation_error",
    )
