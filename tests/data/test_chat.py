"""Conversations in: chat records, files, encoding with the loss on answers, packing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from open_interpreter.data import read_file, to_examples
from open_interpreter.data.chat import exchanges, looks_like_chat, to_chat_examples
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

from .tiny_language_models import build_chat_tokenizer

CHAT = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "what colour is the sky?"},
    {"role": "assistant", "content": "blue."},
    {"role": "user", "content": "and the grass?"},
    {"role": "assistant", "content": "green."},
]


def test_every_record_shape_becomes_a_conversation(tmp_path: Path) -> None:
    examples = to_chat_examples(
        [
            {"messages": CHAT},
            {"prompt": "hi", "response": "hello"},
            {"instruction": "add", "input": "1 and 2", "output": "3", "system": "maths"},
            ("2+2?", "4"),
            [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}],
        ]
    )
    assert examples.conversations[0] == CHAT
    assert examples.conversations[1][1] == {"role": "assistant", "content": "hello"}
    assert examples.conversations[2][0] == {"role": "system", "content": "maths"}
    assert examples.conversations[2][1]["content"] == "add\n\n1 and 2"
    assert examples.conversations[3][0]["content"] == "2+2?"
    file = tmp_path / "chat.jsonl"
    file.write_text(
        "\n".join(json.dumps(r) for r in [{"messages": CHAT}, {"prompt": "a", "completion": "b"}])
    )
    assert looks_like_chat(file) and looks_like_chat(str(file))
    for read in (read_file, to_examples, to_chat_examples):
        assert isinstance(read(file), ChatExamples)
    assert len(read_file(file)) == 2
    assert not looks_like_chat(["a text"]) and not looks_like_chat([("a", "pair")])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"messages": [{"role": "user", "content": "hi"}]}', "no assistant message"),
        ('{"messages": [{"role": "bot", "content": "hi"}]}', "role 'bot'"),
        ('{"messages": [{"role": "assistant", "content": ""}]}', "no text content"),
        ('{"messages": "hi"}', "non-empty list"),
        ('{"question": "a", "answer": "b"}', "fields present: ['question', 'answer']"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_conversations_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    file = tmp_path / "chat.jsonl"
    file.write_text('{"prompt": "a", "response": "b"}\n' + line + "\n")
    with pytest.raises(DataError, match=re.escape(message)) as caught:
        to_chat_examples(file)
    assert caught.value.line == 2
    with pytest.raises(DataError, match=r"train_data\[1\]"):
        to_chat_examples([{"prompt": "a", "response": "b"}, {"prompt": "a"}], source="train_data")
    with pytest.raises(DataError, match="non-empty list"):
        to_chat_examples([])


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
