"""Tiny language models built from config: a 2-layer Llama and a 2-layer T5.

Both share a byte-level BPE tokenizer trained in milliseconds on a few sentences with
``tokenizers``, with ChatML special tokens and a chat template string. Import the
fixtures into a test module to use them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

COLOUR_OF = {"sky": "blue", "grass": "green", "sun": "yellow", "snow": "white", "coal": "black"}


def colour_chats(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Prompt/response records: ``what colour is the sky?`` → ``the sky is blue.``"""
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        thing = rng.choice(sorted(COLOUR_OF))
        answer = f"the {thing} is {COLOUR_OF[thing]}."
        records.append({"prompt": f"what colour is the {thing}?", "response": answer})
    return records


def build_chat_tokenizer(chat_template: str | None = CHAT_TEMPLATE):
    """A byte-level BPE tokenizer with ``<|im_start|>``/``<|im_end|>`` and a pad token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<|im_start|>", "<|im_end|>", "<unk>"]
    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    corpus = [f"{r['prompt']} {r['response']}" for r in colour_chats(200)]
    corpus += ["user assistant system hello there how are you? fine thanks.", "translate: 1 2 3"]
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(corpus, trainer)
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


@pytest.fixture
def one_thread():
    """Run torch on one thread: tiny models only lose time syncing threads on a busy CPU."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide Llama causal LM with a chat tokenizer, saved (read-only)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    path = tmp_path_factory.mktemp("tiny_llama")
    tokenizer = build_chat_tokenizer()
    tokenizer.save_pretrained(path)
    config = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide T5 with the same BPE tokenizer (no chat template), saved."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    path = tmp_path_factory.mktemp("tiny_t5")
    tokenizer = build_chat_tokenizer(chat_template=None)
    tokenizer.save_pretrained(path)
    config = T5Config(
        d_model=32,
        d_ff=64,
        d_kv=16,
        num_layers=2,
        num_heads=2,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(path)
    return path
