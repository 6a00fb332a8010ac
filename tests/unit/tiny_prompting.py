"""A tiny Llama with a word-level tokenizer and a chat template, for the prompting tests.

Every word is one token, so a two-word verbalizer ("very good") is exactly two tokens and
the tests know what is scored. Import the fixture into a test module to use it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .tiny_data import sentiment_texts

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|> ' + message['role'] + ' ' + message['content'] + ' <|im_end|> ' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|> assistant ' }}{% endif %}"
)

_VOCABULARY = """
system user assistant you are a helpful classifier the this film movie is was good great
bad awful loved hated it fine okay review sentiment positive negative neutral very not
topic of text answer with one word : . , ? n/a [mask] sport business politics tech
football match market shares election vote phone software john mary paris london acme
visited works at in and { } [ ] " ' person location organisation entities json
"""
WORDS = tuple(_VOCABULARY.split())


def build_word_tokenizer(chat_template: str | None = CHAT_TEMPLATE):
    """A word-level tokenizer over ``WORDS`` (whitespace and punctuation split)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
    vocab = {token: i for i, token in enumerate(specials + list(dict.fromkeys(WORDS)))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.decoder = decoders.WordPiece(prefix="##")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer


def build_tiny_llama(vocab_size: int, seed: int = 0):
    """A 2-layer, 32-wide Llama causal LM with random weights."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=vocab_size,
        max_position_embeddings=512,
        pad_token_id=0,
        bos_token_id=2,
        eos_token_id=3,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def word_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny word-level Llama saved with its tokenizer (read-only; copy to change it)."""
    path = tmp_path_factory.mktemp("word_llama")
    tokenizer = build_word_tokenizer()
    tokenizer.save_pretrained(path)
    build_tiny_llama(len(tokenizer)).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def word_llama(word_llama_dir: Path):
    """``(model, tokenizer)`` loaded from :func:`word_llama_dir`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(word_llama_dir).eval()
    return model, AutoTokenizer.from_pretrained(word_llama_dir)


def tiny_eval_config(tmp_path: Path, model_dir: Path, encoder_dir: Path) -> Path:
    """Write a CSV of tiny reviews and a prompt-evaluation config of every strategy over it."""
    texts, labels = sentiment_texts(80, seed=0)
    rows = ["text,label", *(f"{t},{label}" for t, label in zip(texts, labels, strict=True))]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n")
    config = {
        "data": "reviews.csv",
        "deduplicate": True,
        "dev_fraction": 0.5,
        "dev_size": 10,
        "model": str(model_dir),
        "encoder": str(encoder_dir),
        "resamples": 50,
        "descriptions": {"positive": "good great loved", "negative": ["bad awful", "hated"]},
        "verbalizers": {"words": {"positive": ["positive", "good"], "negative": "negative"}},
        "templates": {"review": "review {{ text }} sentiment {{ labels | join(' ') }}"},
        "runs": [
            {"strategy": "majority"},
            {"strategy": "embedding"},
            {"strategy": "zero-shot", "template": "review", "calibrate": [False, True]},
            {
                "strategy": "few-shot",
                "verbalizer": "words",
                "k": 2,
                "selection": ["random", "nearest"],
            },
        ],
    }
    path = tmp_path / "reviews.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path
