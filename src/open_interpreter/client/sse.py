"""Read a ``text/event-stream`` body into events (the subset the server sends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One server-sent event.

    Attributes:
        type: The ``event:`` field (``message`` when absent).
        data: The ``data:`` field, decoded from JSON.
        id: The ``id:`` field: a fine-tune event's sequence number (an int), a monitor
            alert's cursor (a string, ``<microseconds>-<alert id>``), or None.
    """

    type: str
    data: Any = field(default_factory=dict)
    id: int | str | None = None


def read_events(lines: Iterator[str]) -> Iterator[Event]:
    """Events from the lines of an event stream; ``data: [DONE]`` ends the stream."""
    kind, data, ident = "message", [], None
    for line in lines:
        if not line:
            if data:
                text = "\n".join(data)
                if text == "[DONE]":
                    return
                yield Event(kind, json.loads(text), ident)
            kind, data, ident = "message", [], None
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                kind = value
            elif name == "data":
                data.append(value)
            elif name == "id" and value:
                ident = int(value) if value.isdigit() else value
    if data and "\n".join(data) != "[DONE]":
        yield Event(kind, json.loads("\n".join(data)), ident)
