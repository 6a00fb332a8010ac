"""Conversations for generative fine-tuning: read, check and turn into :class:`ChatExamples`.

Two record shapes are accepted, in JSON Lines files and as Python dicts:

- ``{"messages": [{"role": "user", "content": ...}, {"role": "assistant", ...}, ...]}``:
  a (multi-turn) chat; roles are ``system``, ``user`` and ``assistant``;
- ``{"prompt": ..., "response": ...}`` (or ``instruction``, with an optional ``input``,
  and ``output`` / ``completion`` for the answer; an optional ``system``): one exchange.

Python data may also be a list of message lists, or ``(prompt, response)`` tuples. Every
problem is a :class:`~open_interpreter.errors.DataError` naming the file and line, or the
index, of the bad example.

Example:
    >>> to_chat_examples([{"prompt": "Hi", "response": "Hello!"}]).conversations[0][1]
    {'role': 'assistant', 'content': 'Hello!'}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from open_interpreter.data.examples import ChatExamples
from open_interpreter.errors import DataError

ROLES = ("system", "user", "assistant")
PROMPT_KEYS = ("prompt", "instruction")
RESPONSE_KEYS = ("response", "output", "completion")
_CHAT_SUFFIXES = (".jsonl", ".ndjson", ".json")


class _BadRecord(ValueError):
    """One record is wrong; the message says how, the caller adds where."""


def is_chat_record(record: object) -> bool:
    """Whether a dict looks like a chat record (``messages``, or a prompt and a response)."""
    if not isinstance(record, Mapping):
        return False
    if "messages" in record:
        return True
    return any(k in record for k in PROMPT_KEYS) and any(k in record for k in RESPONSE_KEYS)


def looks_like_chat(data: Any) -> bool:
    """Whether ``data`` holds conversations rather than labelled texts or tokens.

    True for :class:`ChatExamples`, a list of chat records or of message lists, and a
    JSON Lines file whose first record is a chat record.
    """
    if isinstance(data, ChatExamples):
        return True
    if isinstance(data, (str, os.PathLike)):
        return _file_holds_chat(Path(data))
    if isinstance(data, list) and data:
        first = data[0]
        is_messages = isinstance(first, list) and bool(first) and isinstance(first[0], Mapping)
        return is_chat_record(first) or is_messages
    return False


def to_chat_examples(data: Any, *, source: str = "data") -> ChatExamples:
    """Turn conversations given in any accepted form into :class:`ChatExamples`.

    Args:
        data: :class:`ChatExamples`; a JSON Lines file path; a list of chat records
            (dicts), of message lists, or of ``(prompt, response)`` tuples; a pandas
            DataFrame or ``datasets.Dataset`` whose rows are chat records.
        source: What the user called ``data``, for messages.

    Returns:
        The conversations, checked.

    Raises:
        DataError: The data is empty or of another kind, or an example has no assistant
            message, an unknown role or a non-text content (the message says which).

    Example:
        >>> to_chat_examples([("2+2?", "4")]).conversations[0][0]["content"]
        '2+2?'
    """
    if isinstance(data, ChatExamples):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_chat_jsonl(data)
    module, name = type(data).__module__.partition(".")[0], type(data).__name__
    if (module, name) == ("pandas", "DataFrame"):
        data = data.to_dict("records")
    elif (module, name) == ("datasets", "Dataset"):
        data = list(data)
    if not isinstance(data, (list, tuple)) or not data:
        raise DataError(
            f"{source} must be a non-empty list of conversations, chat records or "
            f"(prompt, response) pairs, got {type(data).__name__}"
        )
    conversations = []
    for index, item in enumerate(data):
        try:
            conversations.append(conversation(item))
        except _BadRecord as exc:
            raise DataError(f"{source}[{index}]: {exc}") from None
    return ChatExamples(conversations, source=source)


def read_chat_jsonl(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> ChatExamples:
    """Read a JSON Lines file of chat records (``messages``, or prompt and response).

    Args:
        path: The file to read.
        encoding: Its text encoding.

    Returns:
        One conversation per line.

    Raises:
        DataError: The file is missing or empty, a line is not a JSON object, or a record
            is not a valid conversation; the message names the line.

    Example:
        >>> read_chat_jsonl("examples/data/support_chat.jsonl").conversations[0][0]["role"]
        'user'
    """
    source = str(path)
    file = Path(path)
    if not file.is_file():
        raise DataError("file not found" if not file.exists() else "not a file", source=source)
    conversations = []
    for number, line in enumerate(file.read_text(encoding=encoding).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            conversations.append(conversation(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc.msg})", source=source, line=number) from None
        except _BadRecord as exc:
            raise DataError(str(exc), source=source, line=number) from None
    if not conversations:
        raise DataError("no records found: the file is empty or only blank lines", source=source)
    return ChatExamples(conversations, source=source)


def conversation(item: Any) -> list[dict[str, str]]:
    """Check one example and return it as a list of ``{"role", "content"}`` messages.

    Raises:
        ValueError: What is wrong with the example (the caller says where it is).
    """
    if isinstance(item, tuple) and len(item) == 2:
        item = {"prompt": item[0], "response": item[1]}
    if isinstance(item, list):
        item = {"messages": item}
    if not isinstance(item, Mapping):
        raise _BadRecord(f"expected a chat record (a dict), got {type(item).__name__}")
    checked = checked_messages(item["messages"] if "messages" in item else _exchange(item))
    if not any(m["role"] == "assistant" for m in checked):
        raise _BadRecord("has no assistant message: there is nothing to learn to answer")
    return checked


def checked_messages(messages: Any) -> list[dict[str, str]]:
    """Check a list of ``{"role", "content"}`` messages and return plain copies.

    Raises:
        ValueError: It is not a non-empty list, a role is unknown or a content is not text.
    """
    if not isinstance(messages, list) or not messages:
        raise _BadRecord("'messages' must be a non-empty list of {role, content} objects")
    return [_message(m, i) for i, m in enumerate(messages)]


def _exchange(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    prompt_key = next((k for k in PROMPT_KEYS if k in record), None)
    response_key = next((k for k in RESPONSE_KEYS if k in record), None)
    if prompt_key is None or response_key is None:
        raise _BadRecord(
            "expected 'messages', or a prompt ('prompt'/'instruction') and a response "
            f"('response'/'output'/'completion'); fields present: {list(record)}"
        )
    prompt = record[prompt_key]
    if record.get("input"):
        prompt = f"{prompt}\n\n{record['input']}"
    messages = [
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": record[response_key]},
    ]
    if record.get("system"):
        messages.insert(0, {"role": "system", "content": record["system"]})
    return messages


def _message(message: Any, index: int) -> dict[str, str]:
    if not isinstance(message, Mapping) or "role" not in message or "content" not in message:
        raise _BadRecord(f"message {index} must be an object with 'role' and 'content'")
    role, content = message["role"], message["content"]
    if role not in ROLES:
        raise _BadRecord(f"message {index} has role {role!r}; expected one of {list(ROLES)}")
    if not isinstance(content, str) or not content.strip():
        raise _BadRecord(f"message {index} ({role}) has no text content (got {content!r})")
    return {"role": role, "content": content}


def _file_holds_chat(path: Path) -> bool:
    try:
        if path.suffix.lower() not in _CHAT_SUFFIXES or not path.is_file():
            return False
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        return is_chat_record(json.loads(first))
    except (OSError, ValueError):  # unreadable or not JSON: the ordinary readers will say why
        return False


def exchanges(examples: ChatExamples) -> tuple[list[str], list[str]]:
    """Split single-exchange conversations into sources and targets (seq2seq data).

    A system message is put before the prompt, separated by a blank line.

    Returns:
        The prompts and the responses, in order.

    Raises:
        DataError: An example has more than one user or assistant message.
    """
    sources, targets = [], []
    for index, messages in enumerate(examples.conversations):
        by_role = {role: [m["content"] for m in messages if m["role"] == role] for role in ROLES}
        if len(by_role["user"]) != 1 or len(by_role["assistant"]) != 1:
            raise DataError(
                f"{examples.source}[{index}]: seq2seq learns one answer per input, but this "
                f"example has {len(by_role['user'])} user and {len(by_role['assistant'])} "
                "assistant messages; use causal-lm for multi-turn chats"
            )
        sources.append("\n\n".join([*by_role["system"], by_role["user"][0]]))
        targets.append(by_role["assistant"][0])
    return sources, targets
