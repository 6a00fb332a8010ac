"""Listing models (catalogue, store, cache) and describing one from its config and headers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from open_interpreter.models import CatalogueEntry, count_parameters, describe_model, list_models
from open_interpreter.paths import model_store

from .hub_cache import fake_cache_snapshot


def test_list_models_covers_catalogue_store_and_cache(tiny_bert_dir: Path) -> None:
    shutil.copytree(tiny_bert_dir, model_store() / "my-ner")
    (model_store() / "my-ner" / "oi_model.json").write_text(
        json.dumps({"description": "NER on CoNLL"})
    )
    fake_cache_snapshot(tiny_bert_dir, "acme/tiny-bert")

    by_name = {m.name: m for m in list_models()}

    assert by_name["minilm-l6"].source == "package"
    assert by_name["minilm-l6"].status == "ready"
    assert by_name["smollm2-135m-instruct"].kind == "causal-lm"
    assert by_name["my-ner"].source == "store"
    assert by_name["my-ner"].kind == "encoder"
    assert by_name["my-ner"].description == "NER on CoNLL"
    assert by_name["acme/tiny-bert"].source == "hf-cache"
    assert by_name["acme/tiny-bert"].status == "ready"


def test_list_models_without_store_or_cache() -> None:
    assert {m.source for m in list_models()} == {"package"}


def test_not_installed_catalogue_entry_is_listed_with_its_pull_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(CatalogueEntry, "package_dir", lambda self: None)
    minilm = next(m for m in list_models() if m.name == "minilm-l6")
    assert (minilm.status, minilm.location) == ("not installed", "oi models pull minilm-l6")
    assert minilm.size_bytes is None


def test_describe_model_reads_config_and_safetensors_headers(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    path = tmp_path / "labelled"
    shutil.copytree(tiny_bert_dir, path)
    config = json.loads((path / "config.json").read_text())
    config["id2label"] = {"0": "O", "1": "B-PER", "2": "I-PER"}
    (path / "config.json").write_text(json.dumps(config))
    expected = sum(t.numel() for t in load_file(path / "model.safetensors").values())

    details = describe_model(str(path))

    assert details.num_parameters == count_parameters(path) == expected
    assert (details.model_type, details.kind, details.num_layers) == ("bert", "encoder", 2)
    assert details.hidden_size == 32
    assert details.labels == {0: "O", 1: "B-PER", 2: "I-PER"}


def test_default_labels_are_not_reported(tiny_bert_dir: Path) -> None:
    assert describe_model(str(tiny_bert_dir)).labels is None
