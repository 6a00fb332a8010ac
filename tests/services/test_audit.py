"""The audit log on both databases: key and registry changes are recorded by the services
themselves, in the change's own transaction, and read back newest first with filters."""

from __future__ import annotations

import pytest

from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services import audit, registry
from open_interpreter.services.api_keys import create_key, revoke_key
from open_interpreter.services.callers import CLI, Caller

from .records import fake_saved_model

OPS = Caller(actor="ops (oi_abcdefg…)", key_id="key_ops", address="10.0.0.7")


def events(db, **filters):
    with db.session() as session:
        rows, total = audit.list_events(session, **filters)
        assert total == len(rows)
        return [(row.action, row.target) for row in rows]


def test_creating_and_revoking_keys_is_audited_without_the_secret(db):
    with db.session() as session:
        row, secret = create_key(session, name="ci", scope="train", caller=CLI)
        assert revoke_key(session, row.id, caller=CLI)
        assert not revoke_key(session, row.id, caller=CLI)  # nothing changed: nothing audited
        rows, total = audit.list_events(session)
    assert total == 2
    revoked, created = rows
    assert (created.action, created.target, created.actor) == ("key.create", row.id, "cli")
    assert created.detail == {"name": "ci", "prefix": row.prefix, "scope": "train"}
    assert (revoked.action, revoked.target, revoked.actor_key_id) == ("key.revoke", row.id, None)
    assert created.client_address is None
    everything = str([(r.detail, r.actor, r.target) for r in rows])
    assert secret not in everything and row.key_hash not in everything


def test_promote_rollback_and_delete_name_the_caller_and_what_changed(db, tmp_path):
    with db.session() as session:
        for i in range(2):
            source = fake_saved_model(tmp_path / str(i))
            registry.register_directory(session, model_name="ner", path=source)
        registry.promote(session, "ner", 1, caller=OPS)
        registry.promote(session, "ner", 2, caller=OPS)
        registry.rollback(session, "ner", caller=OPS)
        registry.delete_model(session, "ner", caller=OPS)
        rows, _ = audit.list_events(session)
    assert [(r.action, r.target) for r in rows] == [
        ("model.delete", "ner"),
        ("model.rollback", "ner@1"),
        ("model.promote", "ner@2"),
        ("model.promote", "ner@1"),
    ]
    assert [r.detail for r in rows] == [
        {"task": "token-classification", "versions": [1, 2]},
        {"archived": 2},
        {"from_stage": "none", "archived": 1},
        {"from_stage": "none", "archived": None},
    ]
    assert {(r.actor, r.actor_key_id, r.client_address) for r in rows} == {
        ("ops (oi_abcdefg…)", "key_ops", "10.0.0.7")
    }


def test_a_change_that_fails_leaves_no_event(db, tmp_path):
    with db.session() as session:
        registry.register_directory(
            session, model_name="ner", path=fake_saved_model(tmp_path / "m")
        )
        with pytest.raises(NotFoundError):
            registry.promote(session, "ner", 7, caller=OPS)
        with pytest.raises(NotFoundError):
            registry.delete_model(session, "other", caller=OPS)
        with pytest.raises(ConfigError):
            create_key(session, name="x", scope="root", caller=CLI)
    assert events(db) == []


def test_events_filter_by_action_and_target_and_page(db, tmp_path):
    with db.session() as session:
        for name in ("ner", "n_r", "nerd"):
            source = fake_saved_model(tmp_path / name)
            registry.register_directory(session, model_name=name, path=source)
            registry.promote(session, name, 1)
        key, _ = create_key(session, name="ci", scope="predict")
    assert events(db, target="ner") == [("model.promote", "ner@1")]
    assert events(db, target="ner@1") == [("model.promote", "ner@1")]
    assert events(db, target="n_r") == [("model.promote", "n_r@1")]  # "_" is no wildcard
    assert events(db, target="n%") == []
    assert events(db, action="key.create") == [("key.create", key.id)]
    assert events(db, action="model.promote", target="nerd") == [("model.promote", "nerd@1")]
    with db.session() as session:
        rows, total = audit.list_events(session, limit=2, offset=1)
        assert total == 4 and [r.target for r in rows] == ["nerd@1", "n_r@1"]
        with pytest.raises(ConfigError, match=r"unknown audit action 'model\.promoted'"):
            audit.list_events(session, action="model.promoted")
