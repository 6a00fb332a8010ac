"""Knowledge-base entries and the files they come from: FAQ pairs and documents.

An :class:`Entry` is one thing the assistant can cite: a question with its answer (an FAQ
pair) or a passage of a document (a chunk, with no separate answer: the passage is the
answer). Its :attr:`Entry.content_hash` covers everything a user sees of it, so a
re-ingest knows which entries changed.

- :func:`read_faq` reads question/answer pairs from CSV or JSON Lines (columns ``q``/``a``
  or ``question``/``answer``; ``id``, ``source``/``sources`` and ``category`` are kept);
- :func:`read_document` cuts a Markdown or plain-text file into overlapping chunks of
  words, each remembering the heading it falls under;
- :func:`read_knowledge` picks one from the extension.

Example:
    >>> entries = read_faq("faq-en.csv")  # doctest: +SKIP
    >>> entries[0].id, entries[0].text[:30]  # doctest: +SKIP
    ('bygglov-001', 'What is a bygglov (building pe')
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from open_interpreter.errors import ConfigError, DataError

FAQ_EXTENSIONS = frozenset({".csv", ".jsonl", ".ndjson"})
DOCUMENT_EXTENSIONS = frozenset({".md", ".markdown", ".txt"})
QUESTION_COLUMNS = ("q", "question")
ANSWER_COLUMNS = ("a", "answer")
SOURCE_COLUMNS = ("source", "sources")
_HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$")


@dataclass
class Entry:
    """One citable entry of a knowledge base.

    Attributes:
        id: Unique within its knowledge base (the file's ``id`` column, or made up).
        text: What a question is matched against: the FAQ question, or the passage.
        answer: What the assistant answers with: the FAQ answer, or the passage itself.
        source: Where it came from (the FAQ's sources, or ``file.md#chunk-3``).
        category: The FAQ's category, or the document's heading ("" when none).
    """

    id: str
    text: str
    answer: str
    source: str = ""
    category: str = ""
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        payload = json.dumps([self.text, self.answer, self.source, self.category])
        self.content_hash = hashlib.sha256(payload.encode()).hexdigest()

    @property
    def search_text(self) -> str:
        """The text retrieval indexes: the question and its answer (once for a passage)."""
        return self.text if self.text == self.answer else f"{self.text}\n{self.answer}"


def read_knowledge(
    path: str | os.PathLike[str], *, chunk_words: int = 120, overlap_words: int = 30
) -> list[Entry]:
    """Read FAQ pairs (``.csv``, ``.jsonl``) or a document (``.md``, ``.txt``).

    Raises:
        DataError: The file is missing, malformed (with its line) or holds no entry.
        ConfigError: An extension neither kind has.
    """
    suffix = Path(path).suffix.lower()
    if suffix in FAQ_EXTENSIONS:
        return read_faq(path)
    if suffix in DOCUMENT_EXTENSIONS:
        return read_document(path, chunk_words=chunk_words, overlap_words=overlap_words)
    known = ", ".join(sorted(FAQ_EXTENSIONS | DOCUMENT_EXTENSIONS))
    raise ConfigError(f"{Path(path).name}: a knowledge file ends in one of {known}")


def read_faq(path: str | os.PathLike[str]) -> list[Entry]:
    """Read question/answer pairs from a CSV file (with a header) or JSON Lines.

    Raises:
        DataError: A missing file, a row without a question or an answer (with its line),
            a repeated id, or no pairs at all.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such FAQ file: {path.name}")
    rows = _jsonl_rows(path) if path.suffix.lower() != ".csv" else _csv_rows(path)
    entries, seen = [], set()
    for line, row in rows:
        question = _field(row, QUESTION_COLUMNS, path, line)
        answer = _field(row, ANSWER_COLUMNS, path, line)
        entry_id = str(row.get("id") or f"{path.stem}-{len(entries) + 1}").strip()
        if entry_id in seen:
            raise DataError(f"{path.name}, line {line}: id {entry_id!r} appears twice")
        seen.add(entry_id)
        source = next((_text(row[c]) for c in SOURCE_COLUMNS if row.get(c)), path.name)
        category = str(row.get("category") or "")
        entries.append(Entry(entry_id, question, answer, source, category))
    if not entries:
        raise DataError(f"{path.name}: no question/answer pairs")
    return entries


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = []
        try:
            for row in reader:
                rows.append((reader.line_num, row))
        except csv.Error as error:
            raise DataError(f"{path.name}, line {reader.line_num}: {error}") from None
    return rows


def _jsonl_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as error:
                raise DataError(f"{path.name}, line {line}: not JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path.name}, line {line}: expected an object")
            rows.append((line, row))
    return rows


def _text(value: object) -> str:
    """A source as text: a JSON list of sources joins with "; " (as the CSV writes them)."""
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


def _field(row: dict[str, str], names: tuple[str, ...], path: Path, line: int) -> str:
    for name in names:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise DataError(f"{path.name}, line {line}: needs a non-empty {' or '.join(names)!s} field")


def read_document(
    path: str | os.PathLike[str], *, chunk_words: int = 120, overlap_words: int = 30
) -> list[Entry]:
    """Cut a Markdown or text file into chunks of ``chunk_words`` words, each sharing
    ``overlap_words`` with the one before, so a sentence cut at a border is whole in one.

    A Markdown heading starts a new section; chunks never span two sections and remember
    their heading (as ``category``).

    Raises:
        ConfigError: ``overlap_words`` is not smaller than ``chunk_words``.
        DataError: A missing or empty file.
    """
    if chunk_words < 1 or not 0 <= overlap_words < chunk_words:
        raise ConfigError(
            f"need chunk_words >= 1 and 0 <= overlap_words < chunk_words, "
            f"got {chunk_words=}, {overlap_words=}"
        )
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such document: {path.name}")
    entries: list[Entry] = []
    for heading, words in _sections(path.read_text(encoding="utf-8")):
        for piece in chunk(words, chunk_words, overlap_words):
            passage = " ".join(piece)
            entry_id = f"{path.stem}-{len(entries) + 1}"
            source = f"{path.name}#chunk-{len(entries) + 1}"
            entries.append(Entry(entry_id, passage, passage, source, heading))
    if not entries:
        raise DataError(f"{path.name}: no text")
    return entries


def chunk(words: list[str], size: int, overlap: int) -> list[list[str]]:
    """Windows of ``size`` words, each starting ``size - overlap`` after the last."""
    step = size - overlap
    pieces = []
    for start in range(0, len(words), step):
        pieces.append(words[start : start + size])
        if start + size >= len(words):
            break
    return pieces


def _sections(text: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1), []))
        else:
            sections[-1][1].extend(line.split())
    return [(heading, words) for heading, words in sections if words]
