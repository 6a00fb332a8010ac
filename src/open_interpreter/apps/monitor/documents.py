"""Documents: what the monitor reads (an id, a time, a source, a text), from Python, JSONL
or CSV files, and replayed in time order at a chosen speed.

Times are stored in UTC without a zone; a time with a zone is converted, one without is
taken as UTC.
"""

from __future__ import annotations

import csv
import json
import time as clock
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from open_interpreter.errors import DataError

FIELDS = ("id", "time", "source", "text")
MAX_ID_LENGTH = 200
MAX_SOURCE_LENGTH = 200


@dataclass(frozen=True)
class Document:
    """One news item or post.

    Attributes:
        id: The sender's id; a document sent again with the same id is stored once.
        time: When it was published (UTC, no zone).
        source: Where it came from (``reuters``, ``twitter``...).
        text: Its text.
    """

    id: str
    time: datetime
    source: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the time in ISO 8601)."""
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


EARLIEST, LATEST = datetime(1900, 1, 1), datetime(9000, 1, 1)
"""Documents are dated within these (windows of up to a week are computed past them)."""


def parse_time(value: Any) -> datetime:
    """Read an ISO 8601 string, a Unix timestamp or a datetime as a naive UTC datetime.

    Raises:
        ValueError: The value is none of those.

    Example:
        >>> parse_time("2024-05-01T09:30:00+02:00")
        datetime.datetime(2024, 5, 1, 7, 30)
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str) and value.strip():
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO 8601 time or a Unix timestamp, got {value!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def to_document(item: Any, *, source: str = "data", line: int | None = None) -> Document:
    """Make a :class:`Document` of a ``Document`` or a mapping with id, time, source, text.

    Raises:
        DataError: A field is missing, empty, too long or of the wrong type (the message
            names the field, and the line where given).
    """
    if isinstance(item, Document):
        return item
    if not isinstance(item, dict):
        raise DataError(
            f"a document must be an object, got {type(item).__name__}", **_at(source, line)
        )
    missing = [name for name in FIELDS if name not in item or item[name] in (None, "")]
    if missing:
        raise DataError(f"document is missing {', '.join(missing)}", **_at(source, line))
    doc_id, text, origin = str(item["id"]), item["text"], str(item["source"])
    if not isinstance(text, str):
        raise DataError(f"text must be a string, got {type(text).__name__}", **_at(source, line))
    if "\x00" in doc_id or "\x00" in origin or "\x00" in text:
        raise DataError("id, source and text may not hold a NUL character", **_at(source, line))
    if len(doc_id) > MAX_ID_LENGTH or len(origin) > MAX_SOURCE_LENGTH:
        raise DataError(
            f"id and source may be at most {MAX_ID_LENGTH} characters", **_at(source, line)
        )
    try:
        moment = parse_time(item["time"])
    except (ValueError, OverflowError, OSError) as error:
        raise DataError(f"bad time {item['time']!r}: {error}", **_at(source, line)) from None
    if not EARLIEST <= moment < LATEST:
        raise DataError(
            f"time {item['time']!r} is outside {EARLIEST.year}–{LATEST.year - 1}",
            **_at(source, line),
        )
    return Document(id=doc_id, time=moment, source=origin, text=text)


def read_documents(path: str | Path) -> list[Document]:
    """Read documents from a ``.jsonl`` file (one object a line) or a ``.csv`` file with a
    header naming ``id``, ``time``, ``source`` and ``text``.

    Raises:
        DataError: The file is missing or empty, of another format, or a line is malformed
            (the message gives its line number).

    Example:
        >>> docs = read_documents("news.jsonl")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("no such file", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        documents = list(_read_jsonl(path))
    elif suffix == ".csv":
        documents = list(_read_csv(path))
    else:
        raise DataError("documents are read from .jsonl or .csv files", source=str(path))
    if not documents:
        raise DataError("the file holds no documents", source=str(path))
    return documents


def _read_jsonl(path: Path) -> Iterator[Document]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"not JSON: {error.msg}", source=str(path), line=number) from None
            yield to_document(item, source=str(path), line=number)


def _read_csv(path: Path) -> Iterator[Document]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in FIELDS if name not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"the header lacks {', '.join(missing)}", source=str(path), line=1)
        for row in reader:
            if None in row:  # more cells than the header has names
                raise DataError("more cells than columns", source=str(path), line=reader.line_num)
            yield to_document(row, source=str(path), line=reader.line_num)


def replay(
    documents: Iterable[Document],
    *,
    speed: float | None = None,
    batch_size: int = 64,
    sleep: Callable[[float], None] = clock.sleep,
) -> Iterator[list[Document]]:
    """Yield ``documents`` in time order, in batches, paced ``speed`` times faster than
    they were published (None: as fast as possible).

    A batch is closed at ``batch_size`` documents or when the next one is not due yet.

    Raises:
        ConfigError: ``speed`` or ``batch_size`` is not positive.
    """
    from open_interpreter.errors import ConfigError

    if speed is not None and speed <= 0:
        raise ConfigError(f"speed must be positive, got {speed=}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size=}")
    ordered = sorted(documents, key=lambda document: document.time)
    if not ordered:
        return
    started, first = clock.monotonic(), ordered[0].time
    waited_until = 0.0  # the due time last slept to (a test's sleep does not move the clock)
    batch: list[Document] = []
    for document in ordered:
        if speed is not None:
            due = (document.time - first).total_seconds() / speed
            wait = due - max(clock.monotonic() - started, waited_until)
            if wait > 0:
                if batch:
                    yield batch
                    batch = []
                sleep(wait)
                waited_until = due
        batch.append(document)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _at(source: str, line: int | None) -> dict[str, Any]:
    return {"source": source, "line": line}
