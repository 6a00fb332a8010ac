"""Read labelled data from files: CoNLL columns, CSV/TSV tables and JSON Lines.

Every reader returns one of the two shapes in :mod:`open_interpreter.data.examples` and
reports a problem as a :class:`~open_interpreter.errors.DataError` naming the file and the
1-based line, so the user can open the file at the right place.

- :func:`read_conll` reads CoNLL-2003 style column files into :class:`TokenExamples`.
- :func:`read_table` reads CSV and TSV files into :class:`TextExamples`.
- :func:`read_jsonl` reads JSON Lines into either shape: objects with a ``tokens`` list and
  a ``tags`` (or ``ner_tags``) list give token data; other objects give texts.
- :func:`read_file` picks one of them from ``format``, the extension, or the contents.

No pandas here: the standard library is fast enough and keeps line numbers exact.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from open_interpreter.data.chat import is_chat_record, read_chat_jsonl
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.data.validation import (
    InvalidValue,
    checked_label,
    checked_strings,
    checked_text,
    first_mixed_label,
)
from open_interpreter.errors import ConfigError, DataError

FileFormat = Literal["auto", "csv", "tsv", "jsonl", "conll"]

_FORMAT_OF_EXTENSION = {".csv": "csv", ".tsv": "tsv", ".conll": "conll"}
_FORMAT_OF_EXTENSION.update(dict.fromkeys((".jsonl", ".ndjson", ".json"), "jsonl"))
# Extensions CoNLL corpora ship with that say nothing certain about the contents.
_SNIFFED_EXTENSIONS = frozenset({"", ".txt", ".train", ".testa", ".testb", ".dev", ".test"})

SUPPORTED_EXTENSIONS = frozenset(_FORMAT_OF_EXTENSION) | (_SNIFFED_EXTENSIONS - {""})
"""File extensions :func:`read_file` knows (besides none at all, which it sniffs)."""

_TAG = re.compile(r"O|[BIESLU]-\S+")
_ENCODING_HINT = "if the file has another encoding, pass e.g. encoding='latin-1' or 'cp1252'"
_ARRAY_HINT = "; a JSON array? Write one object a line (JSON Lines) instead"

_Record = tuple[int, dict[str, Any]]  # (1-based line, fields)
_T = TypeVar("_T")


def read_conll(
    path: str | os.PathLike[str], *, tag_column: int = -1, encoding: str = "utf-8"
) -> TokenExamples:
    """Read a CoNLL column file: one token a line, a blank line between sentences.

    Columns are split on tabs when the line has one (so words may hold spaces), else on
    any whitespace: CoNLL-2003's ``word POS chunk tag`` and two-column ``word<TAB>tag``
    both work. ``-DOCSTART-`` lines are skipped; CRLF line ends, trailing whitespace,
    runs of blank lines and a missing final newline are fine.

    Args:
        path: The file to read.
        tag_column: Which column holds the tag (Python indexing; -1 is the last).
        encoding: The file's text encoding.

    Returns:
        One token list and one tag list per sentence.

    Raises:
        DataError: The file is missing, empty, not in ``encoding``, or has a line with one
            column or a different number of columns from the file's first token line.

    Example:
        >>> read_conll("eng.testa").tags[0][:3]  # doctest: +SKIP
        ['O', 'O', 'B-ORG']
    """
    source = str(path)
    text = _read_text(Path(path), encoding)
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    words: list[str] = []
    sentence_tags: list[str] = []
    width = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip()
        if not line or line.startswith("-DOCSTART-"):
            if words:
                tokens.append(words)
                tags.append(sentence_tags)
                words, sentence_tags = [], []
            continue
        columns = [c.strip() for c in line.split("\t")] if "\t" in line else line.split()
        if not width:
            width = len(columns)
            _check_tag_column(tag_column, width, source, number)
        if len(columns) != width or width < 2 or not columns[0] or not columns[tag_column]:
            raise _bad_conll_line(columns, width, source, number)
        words.append(columns[0])
        sentence_tags.append(columns[tag_column])
    if words:
        tokens.append(words)
        tags.append(sentence_tags)
    if not tokens:
        raise DataError("no sentences found: the file is empty or only blank lines", source=source)
    return TokenExamples(tokens=tokens, tags=tags, source=source)


def read_table(
    path: str | os.PathLike[str],
    *,
    format: Literal["csv", "tsv"] | None = None,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    require_labels: bool = True,
    encoding: str = "utf-8",
) -> TextExamples:
    """Read a CSV or TSV file with a header row into texts and labels.

    CSV follows Excel's quoting rules. TSV fields are taken literally (no quoting), as
    in GLUE's files, so a text may contain ``"``. Labels are kept as strings, stripped
    of surrounding whitespace; blank rows are skipped.

    Args:
        path: The file to read.
        format: ``"csv"`` or ``"tsv"``; None guesses from the extension (``.tsv`` or not).
        text_column: The column holding the text.
        label_column: The column holding the label.
        text_pair_column: A second text column for sentence-pair tasks, or None.
        require_labels: If False, a missing or all-empty label column gives unlabelled
            examples (``labels=None``) instead of an error.
        encoding: The file's text encoding.

    Returns:
        The texts, labels and text pairs, in file order.

    Raises:
        DataError: The file is missing or not in ``encoding``; a column is missing (the
            message lists those present); a row has the wrong number of fields, an empty
            text or an empty label (the message names its line).

    Example:
        >>> read_table("reviews.csv", label_column="sentiment").labels[:2]  # doctest: +SKIP
        ['positive', 'negative']
    """
    fmt = format or ("tsv" if Path(path).suffix.lower() == ".tsv" else "csv")
    if fmt not in ("csv", "tsv"):
        raise ConfigError(f"read_table reads 'csv' or 'tsv', got format={fmt!r}")
    source = str(path)
    text = _read_text(Path(path), encoding)
    header, records = _csv_records(text, fmt, source)
    for column in (text_column, text_pair_column, label_column if require_labels else None):
        if column is not None and column not in header:
            raise DataError(f"no column {column!r}; columns present: {header}", source=source)
    return _text_examples(
        records,
        text_column=text_column,
        label_column=label_column,
        text_pair_column=text_pair_column,
        require_labels=require_labels,
        source=source,
    )


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    require_labels: bool = True,
    encoding: str = "utf-8",
) -> Examples:
    """Read JSON Lines: one JSON object a line, for texts or for token lists.

    If the first object is a chat record (``messages``, or a prompt and a response), the
    file holds conversations (:class:`ChatExamples`). If it has a ``tokens`` field and no
    ``text_column`` field, the file is token data: ``tokens`` and ``tags`` (or
    ``ner_tags``) are lists of strings of equal length. Otherwise each object gives one
    text and one label; labels keep their JSON type (string or integer).

    Args:
        path: The file to read.
        text_column: The field holding the text.
        label_column: The field holding the label.
        text_pair_column: A second text field for sentence-pair tasks, or None.
        require_labels: If False, objects without labels give unlabelled examples.
        encoding: The file's text encoding.

    Returns:
        :class:`TokenExamples` for token data, else :class:`TextExamples`.

    Raises:
        DataError: A line is not JSON or not an object, a field is missing (the message
            lists those present) or has the wrong type, or tags and tokens differ in
            length; the message names the line.

    Example:
        >>> read_jsonl("ner.jsonl").tokens[0]  # doctest: +SKIP
        ['EU', 'rejects', 'German', 'call']
    """
    source = str(path)
    records = _jsonl_records(_read_text(Path(path), encoding), source)
    first = records[0][1]
    if is_chat_record(first) and text_column not in first:
        return read_chat_jsonl(path, encoding=encoding)
    if "tokens" in first and text_column not in first:
        return _token_examples(records, require_labels=require_labels, source=source)
    return _text_examples(
        records,
        text_column=text_column,
        label_column=label_column,
        text_pair_column=text_pair_column,
        require_labels=require_labels,
        source=source,
    )


def read_file(
    path: str | os.PathLike[str],
    *,
    format: FileFormat = "auto",
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    tag_column: int = -1,
    require_labels: bool = True,
    encoding: str = "utf-8",
) -> Examples:
    """Read a data file in any supported format.

    With ``format="auto"`` the extension decides (``.csv``, ``.tsv``, ``.jsonl``/``.json``,
    ``.conll``); for others (``.txt``, ``.train``, ``.testa``, none...) the contents do:
    lines of whitespace-separated columns whose last looks like a tag (``O``, ``B-PER``,
    ``I-LOC``, ``E-``, ``S-``) are CoNLL, lines starting with ``{`` are JSON Lines.

    Args:
        path: The file to read.
        format: ``"auto"``, ``"csv"``, ``"tsv"``, ``"jsonl"`` or ``"conll"``.
        text_column: Text column (CSV, TSV, JSONL).
        label_column: Label column (CSV, TSV, JSONL).
        text_pair_column: Second text column, or None (CSV, TSV, JSONL).
        tag_column: Tag column (CoNLL).
        require_labels: Whether a missing label column is an error (CSV, TSV, JSONL).
        encoding: The file's text encoding.

    Returns:
        :class:`TokenExamples` for CoNLL and token JSONL, else :class:`TextExamples`.

    Raises:
        DataError: The file is missing or empty, its format cannot be told, or its reader
            rejects it.
        ConfigError: ``format`` is not one of the above.

    Example:
        >>> read_file("train.csv", label_column="sentiment")  # doctest: +SKIP
    """
    path = Path(path)
    _check_is_file(path)
    fmt = _guess_format(path, encoding, tag_column) if format == "auto" else format
    columns: dict[str, Any] = {
        "text_column": text_column,
        "label_column": label_column,
        "text_pair_column": text_pair_column,
        "require_labels": require_labels,
        "encoding": encoding,
    }
    if fmt == "conll":
        return read_conll(path, tag_column=tag_column, encoding=encoding)
    if fmt == "jsonl":
        return read_jsonl(path, **columns)
    if fmt in ("csv", "tsv"):
        return read_table(path, format="tsv" if fmt == "tsv" else "csv", **columns)
    raise ConfigError(f"unknown {format=}; expected 'auto', 'csv', 'tsv', 'jsonl' or 'conll'")


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise DataError("file not found", source=str(path))
    if not path.is_file():
        raise DataError("not a file (a directory?)", source=str(path))


def _read_text(path: Path, encoding: str) -> str:
    """The whole file as text, with a line number when a byte does not decode."""
    _check_is_file(path)
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise ConfigError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        message = f"byte 0x{raw[exc.start]:02x} is not valid {encoding}; {_ENCODING_HINT}"
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(message, source=str(path), line=line) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as Excel writes


def _check_tag_column(tag_column: int, width: int, source: str, line: int) -> None:
    if width < 2:
        return  # reported as a malformed line
    index = tag_column if tag_column >= 0 else width + tag_column
    if not 1 <= index < width:
        message = f"tag_column={tag_column} is not a tag column of a {width}-column line"
        raise DataError(f"{message} (column 0 is the word)", source=source, line=line)


def _bad_conll_line(columns: list[str], width: int, source: str, line: int) -> DataError:
    if len(columns) < 2:
        problem = "has one column; expected a word and a tag (e.g. 'London B-LOC')"
    elif len(columns) != width:
        problem = f"has {len(columns)} columns but the file's first token line has {width}"
    else:
        problem = "has an empty word or tag"
    message = f"malformed CoNLL line {problem}: {' '.join(columns)!r}"
    return DataError(message, source=source, line=line)


def _csv_records(text: str, fmt: str, source: str) -> tuple[list[str], list[_Record]]:
    """The header and one record per non-blank row, each with the line it starts on."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter="\t" if fmt == "tsv" else ",",
        quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
    )
    header: list[str] | None = None
    records: list[_Record] = []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                _check_header(header, source, start)
            elif len(row) != len(header):
                message = f"row has {len(row)} fields but the header has {len(header)}"
                raise DataError(message, source=source, line=start)
            else:
                records.append((start, dict(zip(header, row, strict=True))))
    except csv.Error as exc:
        message = f"not valid {fmt.upper()}: {exc}"
        raise DataError(message, source=source, line=reader.line_num) from None
    if header is None:
        raise DataError("the file is empty (no header row)", source=source)
    if not records:
        raise DataError("no rows after the header", source=source)
    return header, records


def _check_header(header: list[str], source: str, line: int) -> None:
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"the header repeats columns {repeated}", source=source, line=line)


def _jsonl_records(text: str, source: str) -> list[_Record]:
    records: list[_Record] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            message = f"not valid JSON ({exc.msg}, column {exc.colno})"
            if line.lstrip().startswith("[") and not records:
                message += _ARRAY_HINT
            raise DataError(message, source=source, line=number) from None
        if not isinstance(value, dict):
            message = f"expected one JSON object a line, got {type(value).__name__}"
            if isinstance(value, list) and not records:
                message += _ARRAY_HINT
            raise DataError(message, source=source, line=number)
        records.append((number, value))
    if not records:
        raise DataError("no records found: the file is empty or only blank lines", source=source)
    return records


def _parse_field(
    records: list[_Record], source: str, name: str, check: Callable[[object], _T]
) -> list[_T]:
    """``check`` applied to field ``name`` of every record; errors name the line."""
    values = []
    for line, record in records:
        if name not in record:
            message = f"no column {name!r}; columns present: {list(record)}"
            raise DataError(message, source=source, line=line)
        try:
            values.append(check(record[name]))
        except InvalidValue as exc:
            raise DataError(f"{name!r} {exc}", source=source, line=line) from None
    return values


def _text_examples(
    records: list[_Record],
    *,
    text_column: str,
    label_column: str,
    text_pair_column: str | None,
    require_labels: bool,
    source: str,
) -> TextExamples:
    """Texts and labels from records; JSONL and CSV/TSV share this."""
    texts = _parse_field(records, source, text_column, checked_text)
    pairs = None
    if text_pair_column is not None:
        pairs = _parse_field(records, source, text_pair_column, checked_text)
    labels = None
    if require_labels or any(_filled(record.get(label_column)) for _, record in records):
        labels = _parse_field(records, source, label_column, checked_label)
        odd = first_mixed_label(labels)
        if odd is not None:
            message = f"labels mix {labels[0]!r} (first row) and {labels[odd]!r}"
            raise DataError(message, source=source, line=records[odd][0])
    fields = list(records[0][1])
    return TextExamples(texts=texts, labels=labels, text_pairs=pairs, source=source, columns=fields)


def _token_examples(records: list[_Record], *, require_labels: bool, source: str) -> TokenExamples:
    """Token lists and tag lists from JSONL records with ``tokens`` and ``tags``/``ner_tags``."""
    first_line, first = records[0]
    tag_field = next((name for name in ("tags", "ner_tags") if name in first), None)
    if tag_field is None and require_labels:
        message = f"no 'tags' or 'ner_tags' field beside 'tokens'; fields present: {list(first)}"
        raise DataError(message, source=source, line=first_line)
    tokens = _parse_field(records, source, "tokens", checked_strings)
    if tag_field is None:
        return TokenExamples(tokens=tokens, tags=None, source=source, columns=list(first))
    tags = _parse_field(records, source, tag_field, checked_strings)
    for (line, _), words, sentence_tags in zip(records, tokens, tags, strict=True):
        if len(words) != len(sentence_tags):
            message = f"{len(words)} tokens but {len(sentence_tags)} {tag_field}"
            raise DataError(message, source=source, line=line)
    return TokenExamples(tokens=tokens, tags=tags, source=source, columns=list(first))


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _guess_format(path: Path, encoding: str, tag_column: int) -> str:
    """The format an extension names, else the one the first 64 KiB look like."""
    suffix = path.suffix.lower()
    if suffix in _FORMAT_OF_EXTENSION:
        return _FORMAT_OF_EXTENSION[suffix]
    with path.open("rb") as handle:
        head = handle.read(65536)
    lines = head.decode(encoding, errors="replace").split("\n")
    if len(head) == 65536:
        lines.pop()  # may be cut mid-line
    sample = [ln for ln in lines if ln.strip() and not ln.startswith("-DOCSTART-")][:200]
    if not sample:
        raise DataError("the file is empty", source=str(path))
    tagged = [line for line in sample if _looks_tagged(line.split(), tag_column)]
    # A few malformed lines should still reach read_conll, which names them.
    if len(tagged) >= 0.9 * len(sample):
        return "conll"
    if sample[0].lstrip().startswith("{"):
        return "jsonl"
    message = f"cannot tell the format from the extension {suffix or '(none)'!r} or contents"
    raise DataError(f"{message}; pass format='csv', 'tsv', 'jsonl' or 'conll'", source=str(path))


def _looks_tagged(columns: list[str], tag_column: int) -> bool:
    return (
        len(columns) >= 2
        and -len(columns) <= tag_column < len(columns)
        and bool(_TAG.fullmatch(columns[tag_column]))
    )
