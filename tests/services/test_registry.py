"""The model registry on both databases: versions, stages, promote, rollback, delete."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import registry
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import FineTuneJob

from .records import fake_saved_model, make_job


def register(db, name: str, source: Path):
    with db.session() as session:
        return registry.register_directory(session, model_name=name, path=source)


def stages(db, name: str) -> dict[int, str]:
    with db.session() as session:
        return {v.version: v.stage for v in registry.list_versions(session, name)}


def test_register_directory_copies_files_and_numbers_versions(db, tmp_path):
    first = register(db, "ner", fake_saved_model(tmp_path / "one", tag="one"))
    second = register(db, "ner", fake_saved_model(tmp_path / "two", tag="two"))
    assert (first.version, second.version) == (1, 2)
    assert second.path == "models/ner/v2"
    assert (artifacts.resolve(second.path) / "model.safetensors").read_text() == "weights two"
    assert first.metrics["test"] == {
        "accuracy": 0.75,
        "macro_f1": 0.5,
        "loss": 0.4,
        "entity_f1": 0.6,
    }
    assert first.lineage["config"] == {"epochs": 2}
    assert first.lineage["evaluations"][0]["epoch"] == 1
    with db.session() as session:
        model = registry.get_model(session, "ner")
        assert model.task == "token-classification"
        assert [m.name for m in registry.list_models(session)] == ["ner"]
    staged = [p.name for p in artifacts.resolve("models/ner").iterdir()]
    assert sorted(staged) == ["v1", "v2"]


def test_register_refuses_what_is_not_a_saved_model(db, tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match="not a saved model"):
        register(db, "ner", tmp_path / "plain")
    with pytest.raises(ConfigError, match="invalid model name"):
        register(db, "../escape", fake_saved_model(tmp_path / "m"))
    register(db, "ner", tmp_path / "m")
    classifier = fake_saved_model(tmp_path / "c", task="sequence-classification")
    with pytest.raises(ConflictError, match="token-classification"):
        register(db, "ner", classifier)
    assert stages(db, "ner") == {1: "none"}
    assert sorted(p.name for p in artifacts.resolve("models/ner").iterdir()) == ["v1"]


def test_get_version_defaults_to_production_else_latest(db, tmp_path):
    for i in range(3):
        register(db, "ner", fake_saved_model(tmp_path / str(i)))
    with db.session() as session:
        assert registry.get_version(session, "ner").version == 3
        registry.promote(session, "ner", 2)
        assert registry.get_version(session, "ner").version == 2
        assert registry.get_version(session, "ner", version=1).version == 1
        assert registry.get_version(session, "ner", stage="production").version == 2
        with pytest.raises(NotFoundError, match="no version 9"):
            registry.get_version(session, "ner", version=9)
        with pytest.raises(NotFoundError, match="archived"):
            registry.get_version(session, "ner", stage="archived")
        with pytest.raises(ConfigError, match="unknown stage"):
            registry.get_version(session, "ner", stage="staging")
        with pytest.raises(NotFoundError, match="no registered model"):
            registry.get_version(session, "other")


def test_promote_archives_the_previous_and_rollback_walks_back(db, tmp_path):
    for i in range(3):
        register(db, "ner", fake_saved_model(tmp_path / str(i)))
    with db.session() as session:
        with pytest.raises(ConflictError, match="no production version"):
            registry.rollback(session, "ner")
        registry.promote(session, "ner", 1)
        with pytest.raises(ConflictError, match="no earlier production version"):
            registry.rollback(session, "ner")
        registry.promote(session, "ner", 2)
        registry.promote(session, "ner", 3)
        registry.promote(session, "ner", 3)  # again: nothing changes
    assert stages(db, "ner") == {1: "archived", 2: "archived", 3: "production"}
    with db.session() as session:
        assert registry.rollback(session, "ner").version == 2
    assert stages(db, "ner") == {1: "archived", 2: "production", 3: "archived"}
    with db.session() as session:
        assert registry.rollback(session, "ner").version == 1
    assert stages(db, "ner") == {1: "production", 2: "archived", 3: "archived"}
    with db.session() as session:
        with pytest.raises(ConflictError):
            registry.rollback(session, "ner")
        with pytest.raises(NotFoundError):
            registry.promote(session, "ner", 7)


def test_delete_model_removes_versions_files_and_job_links(db, tmp_path):
    version = register(db, "ner", fake_saved_model(tmp_path / "m"))
    job_id = make_job(db).id
    with db.session() as session:
        session.get(FineTuneJob, job_id).model_version_id = version.id
        session.commit()
        registry.delete_model(session, "ner")
        assert registry.list_models(session) == []
        assert session.get(FineTuneJob, job_id, populate_existing=True).model_version_id is None
        with pytest.raises(NotFoundError):
            registry.list_versions(session, "ner")
        with pytest.raises(NotFoundError):
            registry.delete_model(session, "ner")
    assert not artifacts.resolve("models/ner").exists()


def test_concurrent_registrations_get_distinct_numbers(db, tmp_path):
    sources = [fake_saved_model(tmp_path / str(i), tag=str(i)) for i in range(4)]
    numbers, errors = [], []

    def one(source: Path) -> None:
        try:
            numbers.append(register(db, "ner", source).version)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [1, 2, 3, 4]
    contents = {
        (artifacts.resolve(f"models/ner/v{n}") / "model.safetensors").read_text() for n in numbers
    }
    assert contents == {f"weights {i}" for i in range(4)}


def test_odd_names_and_numbers_are_not_found_rather_than_errors(db, tmp_path):
    register(db, "ner", fake_saved_model(tmp_path / "m"))
    with db.session() as session:
        for odd in ("ner\x00", "../ner", "n" * 300):
            with pytest.raises(NotFoundError):
                registry.get_model(session, odd)
            with pytest.raises(NotFoundError):
                registry.promote(session, odd, 1)
        for number in (2**64, 0, -1):
            with pytest.raises(NotFoundError, match="no version"):
                registry.get_version(session, "ner", version=number)
