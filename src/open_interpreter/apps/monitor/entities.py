"""Companies and people in a text, normalised to canonical names by an alias table the
user edits (``{"Apple": {"type": "company", "aliases": ["Apple Inc", "AAPL"]}}``).

Two finders share the table:

- the **gazetteer** (the default): every alias, matched as whole words, case-sensitive,
  longest first — it finds exactly the names the table lists;
- a **NER model** (optional): any token-classification model the platform trained (e.g.
  ``oi train examples/wnut16_ner.yaml``), whose person and organisation entities are
  looked up in the table (case-insensitive) and kept under their own text when absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.errors import ConfigError, DataError

ENTITY_TYPES = ("company", "person")
NER_TYPES = {
    "per": "person",
    "person": "person",
    "org": "company",
    "company": "company",
    "organization": "company",
    "organisation": "company",
}


@dataclass(frozen=True)
class Mention:
    """A canonical entity found in a text."""

    name: str
    type: str

    @property
    def key(self) -> str:
        """The series key it is counted under: ``entity:<name>``."""
        return f"entity:{self.name}"


class AliasTable:
    """Canonical entity names, their type and their aliases.

    Args:
        entries: ``{canonical: {"type": "company" | "person", "aliases": [...]}}``; the
            canonical name is always an alias of itself.

    Raises:
        ConfigError: An entry of another shape or type, or an alias given to two names.

    Example:
        >>> table = AliasTable({"Apple": {"type": "company", "aliases": ["Apple Inc"]}})
        >>> [m.name for m in table.find("Apple Inc shares rose")]
        ['Apple']
    """

    def __init__(self, entries: Mapping[str, Any] | None = None):
        self.entries: dict[str, dict[str, Any]] = {}
        self._canonical: dict[str, str] = {}
        for name, entry in (entries or {}).items():
            self.add(
                name,
                entry.get("type", "company") if isinstance(entry, Mapping) else None,
                entry.get("aliases", []) if isinstance(entry, Mapping) else None,
            )
        self._pattern: re.Pattern[str] | None = None

    def add(self, name: str, type: str | None, aliases: list[str] | None) -> None:
        """Add (or replace) the canonical ``name`` with its ``type`` and ``aliases``."""
        if type not in ENTITY_TYPES or not isinstance(aliases, list) or not name.strip():
            raise ConfigError(
                f"alias entry {name!r} needs a type in {ENTITY_TYPES} and a list of aliases"
            )
        for alias in [name, *aliases]:
            owner = self._canonical.get(alias.lower())
            if owner not in (None, name):
                raise ConfigError(f"alias {alias!r} belongs to both {owner!r} and {name!r}")
            self._canonical[alias.lower()] = name
        self.entries[name] = {"type": type, "aliases": list(aliases)}
        self._pattern = None

    @classmethod
    def load(cls, path: str | Path) -> AliasTable:
        """Read a table from a JSON file.

        Raises:
            DataError: The file is missing or not JSON.
        """
        path = Path(path)
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError("no such file", source=str(path)) from None
        except json.JSONDecodeError as error:
            raise DataError(f"not JSON: {error.msg}", source=str(path), line=error.lineno) from None

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The table as JSON-ready entries."""
        return {name: dict(entry) for name, entry in self.entries.items()}

    def canonical(self, text: str) -> str | None:
        """The canonical name ``text`` is an alias of (any case), or None."""
        return self._canonical.get(text.strip().lower())

    def find(self, text: str) -> list[Mention]:
        """Every listed entity ``text`` names (gazetteer), once each, in order of first
        mention."""
        if not self.entries:
            return []
        if self._pattern is None:
            aliases = sorted(
                {a for name, e in self.entries.items() for a in [name, *e["aliases"]]},
                key=len,
                reverse=True,
            )
            self._pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, aliases)) + r")\b")
        found: dict[str, Mention] = {}
        for match in self._pattern.finditer(text):
            name = self._canonical[match.group(0).lower()]
            found.setdefault(name, Mention(name, self.entries[name]["type"]))
        return list(found.values())


class EntityFinder:
    """Finds the companies and people of texts in batches: the alias table's gazetteer,
    plus a token-classification model's entities when one is given.

    Args:
        aliases: The alias table.
        ner: A loaded token-classification :class:`~open_interpreter.bundle.ModelBundle`,
            or None for the gazetteer alone.
    """

    def __init__(self, aliases: AliasTable, ner: Any = None):
        self.aliases, self.ner = aliases, ner

    @property
    def method(self) -> str:
        """``gazetteer`` or ``ner+gazetteer``."""
        return "gazetteer" if self.ner is None else "ner+gazetteer"

    def find(self, texts: list[str]) -> list[list[Mention]]:
        """The mentions of each text."""
        found = [self.aliases.find(text) for text in texts]
        if self.ner is None or not texts:
            return found
        from open_interpreter.inference import predict

        for mentions, prediction in zip(found, predict(self.ner, texts), strict=True):
            names = {m.name for m in mentions}
            for entity in prediction.entities:
                kind = NER_TYPES.get(entity.type.lower())
                if kind is None or not entity.text.strip():
                    continue
                name = self.aliases.canonical(entity.text) or entity.text.strip()
                if name not in names:
                    names.add(name)
                    mentions.append(Mention(name, kind))
        return found
