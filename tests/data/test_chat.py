"""Conversations in: every chat record shape, from lists and files; bad lines named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from open_interpreter.data import read_file, to_examples
from open_interpreter.data.chat import looks_like_chat, to_chat_examples
from open_interpreter.data.examples import ChatExamples
from open_interpreter.errors import DataError

from ..fixtures.data import CHAT


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
