"""A store knowledge base (Kwik-E-Mart's ``stores.json``): find a store by a name as a
customer says it ("Elm Street" for "23 Elm Street"), fuzzily, and say its hours.

Example:
    >>> stores = StoreDirectory.from_json(kwik_e_mart_dir() / "data" / "stores.json")  # doctest: +SKIP
    >>> stores.find("elm st").store["store_name"]  # doctest: +SKIP
    '23 Elm Street'
"""  # noqa: E501

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.errors import DataError

MATCH_THRESHOLD = 0.6
"""The least similarity (0-1) at which a spoken name counts as a store's name."""
_NOISE = re.compile(r"\b(the|store|kwik-e-mart|kwik e mart|on|at|in|and)\b|[^\w\s]")
_ABBREVIATIONS = {
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
    "rte": "route", "e": "east", "w": "west", "n": "north", "s": "south",
}  # fmt: skip
"""Short forms customers type, spelled out before names are compared ("e oak st")."""
_STREET_TYPES = frozenset({"street", "avenue", "road", "terrace", "boulevard", "lane", "plaza"})
"""Words many store names share: they say nothing about *which* store is meant."""
_COMPASS = frozenset({"north", "south", "east", "west"})


@dataclass(frozen=True)
class StoreMatch:
    """The store a name matched, and how closely (1 = the same words)."""

    store: dict[str, Any]
    similarity: float


class StoreDirectory:
    """Stores with names, hours, addresses and phone numbers."""

    def __init__(self, stores: list[dict[str, Any]]):
        if not stores:
            raise DataError("the store directory is empty")
        self.stores = stores
        self._keys = [_normalise(str(s.get("store_name", ""))) for s in stores]

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> StoreDirectory:
        """Read a JSON array of store objects (each with at least ``store_name``).

        Raises:
            DataError: A missing file, bad JSON, or a store without a name.
        """
        path = Path(path)
        try:
            stores = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"no such store file: {path.name}") from None
        except json.JSONDecodeError as error:
            raise DataError(f"{path.name}, line {error.lineno}: not JSON ({error.msg})") from None
        if not isinstance(stores, list) or not all(
            isinstance(s, dict) and s.get("store_name") for s in stores
        ):
            raise DataError(f"{path.name}: expected a list of objects with a store_name")
        return cls(stores)

    def find(self, name: str) -> StoreMatch | None:
        """The store whose name is most like ``name``, or None below :data:`MATCH_THRESHOLD`."""
        wanted = _normalise(name)
        if not wanted:
            return None
        scores = [_similarity(wanted, key) for key in self._keys]
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] < MATCH_THRESHOLD:
            return None
        return StoreMatch(self.stores[best], round(scores[best], 3))

    def find_in(self, text: str) -> StoreMatch | None:
        """The best store named anywhere in ``text`` (each run of 1-4 words is tried)."""
        tokens = _normalise(text).split()
        best: StoreMatch | None = None
        for size in range(1, 5):
            for start in range(len(tokens) - size + 1):
                match = self.find(" ".join(tokens[start : start + size]))
                if match and (best is None or match.similarity > best.similarity):
                    best = match
        return best


def hours_answer(store: dict[str, Any]) -> str:
    """A sentence giving a store's opening hours (and phone number when known)."""
    answer = (
        f"The {store['store_name']} store is open from {store.get('open_time', '?')} "
        f"to {store.get('close_time', '?')}."
    )
    if store.get("phone_number"):
        answer += f" Its phone number is {store['phone_number']}."
    return answer


def _normalise(name: str) -> str:
    words = _NOISE.sub(" ", name.lower().replace("&", " and ")).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _distinctive(name: str) -> str:
    """A normalised name without its house number and street type: what tells it apart
    ("23 elm street" -> "elm", "45 fifth avenue" -> "fifth")."""
    words = re.sub(r"^\d+\s+", "", name).split()
    return " ".join(word for word in words if word not in _STREET_TYPES)


def _similarity(wanted: str, key: str) -> float:
    """Closeness of a spoken name to a store name, on the words that tell stores apart.

    Comparing whole names let the shared street type decide: "main street" matched
    "23 elm street" (0.76) and "e oak street" matched "west oak street"; on the
    distinctive words "main" is not "elm" (0.57) and "east oak" is "east oak". A name of
    street-type words only ("street") matches nothing, nor one whose compass word differs
    from the store's.
    """
    spoken, name = _distinctive(wanted), _distinctive(key) or key
    if not spoken:
        return 0.0
    said, named = _COMPASS & set(spoken.split()), _COMPASS & set(name.split())
    if said and named and said != named:  # "south oak" is not "west oak street"
        return 0.0
    return difflib.SequenceMatcher(None, spoken, name).ratio()
