"""Interactions and items from plain CSV/TSV tables, as a user uploads them.

An interactions table has a header row naming ``user`` and ``item`` columns (also
accepted: ``user_id``, ``item_id``), and optionally ``rating`` and ``time``
(``timestamp``); an items table names ``item`` and any of ``title``, ``text``
(``description``), ``genres`` (separated by ``|``, ``;`` or ``,`` inside the cell) and
``year``. Each malformed line is reported by its number.

Example:
    >>> data = read_interaction_tables(Path("clicks.csv"), Path("items.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import numpy as np

from open_interpreter.apps.recommend._data import Interactions, ItemText, RecommendationData
from open_interpreter.errors import DataError

USER_COLUMNS = ("user", "user_id")
ITEM_COLUMNS = ("item", "item_id")
TIME_COLUMNS = ("time", "timestamp")
MAX_ID_CHARS = 200


def table_format(filename: str) -> str:
    """``csv`` or ``tsv`` from a file name.

    Raises:
        DataError: Neither.
    """
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix not in ("csv", "tsv"):
        raise DataError(f"cannot tell the format of {filename!r}: name it .csv or .tsv")
    return suffix


def _rows(text: str, fmt: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise DataError(f"{name}: empty file, expected a header row on line 1") from None
    except csv.Error as exc:
        raise DataError(f"{name} line 1: {exc}") from None
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise DataError(
                    f"{name} line {reader.line_num}: expected {len(header)} fields "
                    f"({', '.join(header)}), got {len(cells)}"
                )
            rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise DataError(f"{name} line {reader.line_num}: {exc}") from None
    return header, rows


def _column(header: list[str], names: tuple[str, ...], name: str, required: bool) -> int | None:
    found = next((header.index(n) for n in names if n in header), None)
    if found is None and required:
        raise DataError(f"{name} line 1: the header needs a {' or '.join(names)} column")
    return found


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{name} line {line}: not valid UTF-8") from None


def _number(value: str, column: str, name: str, line: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise DataError(
            f"{name} line {line}: {column} must be a number, got {value[:40]!r}"
        ) from None
    if not np.isfinite(number):
        raise DataError(f"{name} line {line}: {column} must be finite, got {value[:40]!r}")
    return number


def _id(value: str, column: str, name: str, line: int) -> str:
    if not value or len(value) > MAX_ID_CHARS:
        raise DataError(f"{name} line {line}: {column} must be 1 to {MAX_ID_CHARS} characters")
    return value


def parse_interactions(
    data: bytes, *, filename: str = "interactions.csv"
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Read an interactions table: ``(user ids, item ids, ratings, times)`` in file order.

    A missing rating is 1 (an implicit interaction); a missing time column makes the
    line order the time.

    Raises:
        DataError: No ``user``/``item`` column, no rows, or a malformed line (its number).
    """
    fmt = table_format(filename)
    header, rows = _rows(_decode(data, filename), fmt, filename)
    user = _column(header, USER_COLUMNS, filename, True)
    item = _column(header, ITEM_COLUMNS, filename, True)
    rating = _column(header, ("rating",), filename, False)
    time = _column(header, TIME_COLUMNS, filename, False)
    if not rows:
        raise DataError(f"{filename}: no interactions after the header")
    users, items, ratings, times = [], [], [], []
    for line, cells in rows:
        users.append(_id(cells[user], "user", filename, line))  # type: ignore[index]
        items.append(_id(cells[item], "item", filename, line))  # type: ignore[index]
        ratings.append(1.0 if rating is None else _number(cells[rating], "rating", filename, line))
        times.append(float(line) if time is None else _number(cells[time], "time", filename, line))
    return users, items, np.array(ratings), np.array(times)


def parse_items(data: bytes, *, filename: str = "items.csv") -> dict[str, dict[str, object]]:
    """Read an items table: item id → ``{title, text, genres, year}`` (missing ones empty).

    Raises:
        DataError: No ``item`` column, a repeated item, or a malformed line (its number).
    """
    fmt = table_format(filename)
    header, rows = _rows(_decode(data, filename), fmt, filename)
    item = _column(header, ITEM_COLUMNS, filename, True)
    title = _column(header, ("title", "name"), filename, False)
    text = _column(header, ("text", "description"), filename, False)
    genres = _column(header, ("genres", "genre", "class"), filename, False)
    year = _column(header, ("year", "release_year"), filename, False)
    out: dict[str, dict[str, object]] = {}
    for line, cells in rows:
        key = _id(cells[item], "item", filename, line)  # type: ignore[index]
        if key in out:
            raise DataError(f"{filename} line {line}: item {key[:40]!r} appears twice")
        out[key] = {
            "title": cells[title] if title is not None and cells[title] else key,
            "text": cells[text] if text is not None else "",
            "genres": [g for g in re.split(r"[|;,]", cells[genres]) if g.strip()]
            if genres is not None
            else [],
            "year": cells[year] if year is not None else "",
        }
    return out


def read_interaction_tables(
    interactions: bytes | Path,
    items: bytes | Path | None = None,
    *,
    interactions_name: str | None = None,
    items_name: str | None = None,
) -> RecommendationData:
    """Interactions (and optionally items' text) from CSV/TSV tables, as models use them.

    The catalogue is every item of the items table plus any item only in the interactions.

    Args:
        interactions: The interactions table, as a path or its bytes.
        items: The items table, as a path or its bytes.
        interactions_name: The file name errors use (and the format comes from) for bytes.
        items_name: The same for the items table.

    Raises:
        DataError: A malformed table (with the line number).
    """
    inter_bytes, inter_name = _bytes(interactions, interactions_name, "interactions.csv")
    user_ids, item_ids, _, times = parse_interactions(inter_bytes, filename=inter_name)
    described: dict[str, dict[str, object]] = {}
    if items is not None:
        item_bytes, item_name = _bytes(items, items_name, "items.csv")
        described = parse_items(item_bytes, filename=item_name)
    catalogue = list(dict.fromkeys([*described, *item_ids]))
    users = list(dict.fromkeys(user_ids))
    user_lookup = {u: i for i, u in enumerate(users)}
    item_lookup = {t: i for i, t in enumerate(catalogue)}
    known = Interactions(
        users=users,
        items=catalogue,
        user_index=np.array([user_lookup[u] for u in user_ids], dtype=np.int64),
        item_index=np.array([item_lookup[t] for t in item_ids], dtype=np.int64),
        timestamp=times.astype(np.float64),
    )
    text = ItemText(
        titles=[_title(described.get(item), item) for item in catalogue],
        years=[str((described.get(item) or {}).get("year", "")) for item in catalogue],
        genres=[list((described.get(item) or {}).get("genres", [])) for item in catalogue],
    )
    return RecommendationData(known, text)


def _title(row: dict[str, object] | None, item: str) -> str:
    if row is None:
        return item
    title, text = str(row["title"]), str(row["text"])
    return f"{title}: {text}" if text else title


def _bytes(source: bytes | Path, name: str | None, default: str) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or default
    path = Path(source)
    if not path.is_file():
        raise DataError(f"no file at {path.name}")
    return path.read_bytes(), name or path.name


def fingerprint(data: RecommendationData) -> dict[str, object]:
    """What a model was trained on, to compare by: sizes and a SHA-256 of the interactions."""
    inter = data.interactions
    digest = hashlib.sha256()
    for values in (inter.users, inter.items):
        digest.update("\x1f".join(values).encode())
    for array in (inter.user_index, inter.item_index, inter.timestamp):
        digest.update(np.ascontiguousarray(array).tobytes())
    return {
        "interactions": len(inter),
        "users": inter.n_users,
        "items": inter.n_items,
        "sha256": digest.hexdigest(),
    }
