"""Conversations encoded: the loss on answers only, cutting, chat templates, packing, seq2seq."""

from __future__ import annotations

import pytest

from open_interpreter.data.chat import exchanges, to_chat_examples
from open_interpreter.data.chat_encoding import (
    DEFAULT_CHAT_TEMPLATE,
    encode_chat,
    encode_seq2seq,
    ensure_chat_template,
    pack,
)
from open_interpreter.data.encoding import IGNORE_INDEX
from open_interpreter.data.examples import ChatExamples
from open_interpreter.errors import DataError

from ..fixtures.data import CHAT
from ..fixtures.tokenizers import build_chat_tokenizer


def test_only_the_answers_are_labelled() -> None:
    tokenizer = build_chat_tokenizer()
    [feature] = encode_chat(tokenizer, ChatExamples([CHAT]), max_length=256)
    labelled = [t for t in feature.labels if t != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == "blue.<|im_end|>\ngreen.<|im_end|>\n"
    assert len(feature.labels) == len(feature.input_ids)
    unlabelled = encode_chat(tokenizer, ChatExamples([CHAT]), max_length=256, labelled=False)
    assert unlabelled[0].labels is None


def test_long_conversations_are_cut_and_answerless_ones_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokenizer = build_chat_tokenizer()
    long_question = [
        {"role": "user", "content": "what colour is the sky? " * 20},
        {"role": "assistant", "content": "blue."},
    ]
    short = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "blue."}]
    features = encode_chat(tokenizer, ChatExamples([long_question, short]), max_length=32)
    assert [f.example for f in features] == [1]
    assert "no answer left within max_length" in caplog.text
    with pytest.raises(DataError, match="no conversation has an answer"):
        encode_chat(tokenizer, ChatExamples([long_question]), max_length=32)


def test_templates_that_do_not_render_turn_by_turn_are_refused() -> None:
    tokenizer = build_chat_tokenizer(
        chat_template="{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    with pytest.raises(DataError, match="turn by turn"):
        encode_chat(tokenizer, ChatExamples([CHAT]), max_length=64)


def test_a_tokenizer_without_template_gets_the_default_one() -> None:
    tokenizer = build_chat_tokenizer(chat_template=None)
    ensure_chat_template(tokenizer)
    assert tokenizer.chat_template == DEFAULT_CHAT_TEMPLATE
    [feature] = encode_chat(tokenizer, ChatExamples([CHAT[1:3]]), max_length=64)
    labelled = [t for t in feature.labels if t != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == "blue.<|im_end|>\n"


def test_packing_fills_sequences_and_keeps_every_answer() -> None:
    tokenizer = build_chat_tokenizer()
    conversations = [CHAT[1:3], CHAT[3:5]] * 5
    features = encode_chat(tokenizer, ChatExamples(conversations), max_length=64)
    packed = pack(features, max_length=64)
    assert len(packed) < len(features)
    assert all(len(f) <= 64 and len(f.labels) == len(f) for f in packed)
    answers = sum(t != IGNORE_INDEX for f in features for t in f.labels)
    assert sum(t != IGNORE_INDEX for f in packed for t in f.labels) == answers


def test_seq2seq_pairs_end_with_eos_and_need_one_exchange() -> None:
    tokenizer = build_chat_tokenizer(chat_template=None)
    sources, targets = exchanges(to_chat_examples([("translate: 1", "2"), CHAT[:3]]))
    assert sources == ["translate: 1", "be brief\n\nwhat colour is the sky?"]
    features = encode_seq2seq(tokenizer, sources, targets, max_length=32)
    assert features[0].labels[-1] == tokenizer.eos_token_id
    assert encode_seq2seq(tokenizer, sources, None, max_length=32)[0].labels is None
    with pytest.raises(DataError, match="use causal-lm for multi-turn"):
        exchanges(ChatExamples([CHAT]))
