"""Opening a model by name: registry first, then directories, the store and the catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from open_interpreter.errors import ModelNotFoundError, NotFoundError
from open_interpreter.services import registry
from open_interpreter.services.models import find_model, open_model


def test_a_registered_name_means_its_production_version_or_the_one_asked_for(
    db, tiny_ner_model_dir: Path, tmp_path: Path
):
    with db.session() as session:
        for _ in range(2):
            registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
        registry.promote(session, "ner", 1)
        production = find_model("ner", session=session)
        second = find_model("ner", version=2, session=session)
        archived = find_model("ner", stage="none", session=session)
        with pytest.raises(NotFoundError, match="no version 3"):
            find_model("ner", version=3, session=session)
    assert (production.version, second.version, archived.version) == (1, 2, 2)
    assert production.saved and production.path != second.path
    bundle = open_model(production)
    assert bundle.task.name == "token-classification" and bundle.has_head
    assert bundle.labels[0] == "O" and bundle.path == production.path


def test_an_unregistered_name_resolves_as_a_directory_or_store_name(
    db, tiny_ner_model_dir: Path, tiny_bert_dir: Path, isolated_home: Path
):
    shutil.copytree(tiny_ner_model_dir, isolated_home / "models" / "stored-ner")
    with db.session() as session:
        stored = find_model("stored-ner", session=session)
        pretrained = find_model(str(tiny_bert_dir), session=session)
    assert stored.saved and stored.version is None
    assert not pretrained.saved
    bundle = open_model(pretrained)  # loads when first used, as a pretrained model
    assert bundle.model is None and not bundle.has_head
    assert bundle.model_name == str(tiny_bert_dir)


def test_versions_and_stages_belong_to_registered_models(tiny_ner_model_dir: Path):
    with pytest.raises(NotFoundError, match="versions and stages belong to registered"):
        find_model(str(tiny_ner_model_dir), version=1)
    with pytest.raises(ModelNotFoundError, match="Tried"):
        find_model("no-such-model-anywhere")


def test_registered_only_never_looks_past_the_registry(db, tiny_ner_model_dir: Path):
    with db.session() as session, pytest.raises(NotFoundError, match="no registered model"):
        find_model(str(tiny_ner_model_dir), session=session, registered_only=True)
