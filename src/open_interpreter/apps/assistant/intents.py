"""Intent and slot data in MindMeld's format, as the Kwik-E-Mart app ships it.

Each intent is a folder ``domains/<domain>/<intent>/`` with ``train.txt`` and ``test.txt``:
one utterance a line, entities marked inline as ``{Elm Street|store_name}`` (a third
field, ``{checking|account_type|origin}``, is a role, which the tagger does not learn).
Only these text files are read: the package's pickles are never opened.

Example:
    >>> data = read_intent_data(kwik_e_mart_dir())  # doctest: +SKIP
    >>> parse_markup("When does {Elm Street|store_name} close?")
    (['When', 'does', 'Elm', 'Street', 'close', '?'], ['O', 'O', 'B-store_name', 'I-store_name', 'O', 'O'])
"""  # noqa: E501

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from open_interpreter.errors import DataError

_ENTITY = re.compile(r"\{([^{}|]+)\|([^{}|]+)(?:\|[^{}|]+)?\}")
_WORD = re.compile(r"\w+(?:['’.]\w+)*|[^\w\s]")


@dataclass
class IntentData:
    """Utterances of one split: their text, intent, words and BIO slot tags."""

    texts: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)

    def add(self, line: str, intent: str) -> None:
        """Add one marked-up utterance."""
        tokens, tags = parse_markup(line)
        self.texts.append(" ".join(tokens))
        self.intents.append(intent)
        self.tokens.append(tokens)
        self.tags.append(tags)

    def __len__(self) -> int:
        return len(self.texts)

    def unique(self) -> IntentData:
        """The utterances without repeats (Kwik-E-Mart's training files repeat a third)."""
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        kept = IntentData()
        for text, intent, tokens, tags in zip(
            self.texts, self.intents, self.tokens, self.tags, strict=True
        ):
            if (text, intent, tuple(tags)) not in seen:
                seen.add((text, intent, tuple(tags)))
                kept.texts.append(text)
                kept.intents.append(intent)
                kept.tokens.append(tokens)
                kept.tags.append(tags)
        return kept


def words(text: str) -> list[str]:
    """Split text into words and punctuation marks, as the slot tagger sees them."""
    return _WORD.findall(text)


def parse_markup(line: str) -> tuple[list[str], list[str]]:
    """Words and BIO tags of one utterance with inline ``{text|entity}`` markup.

    Raises:
        DataError: A brace that opens no well-formed entity.
    """
    tokens: list[str] = []
    tags: list[str] = []
    position = 0
    for match in _ENTITY.finditer(line):
        _plain(line[position : match.start()], tokens, tags)
        entity_words = words(match.group(1))
        tokens += entity_words
        tags += [
            f"{'B' if i == 0 else 'I'}-{match.group(2).strip()}" for i in range(len(entity_words))
        ]
        position = match.end()
    _plain(line[position:], tokens, tags)
    return tokens, tags


def _plain(text: str, tokens: list[str], tags: list[str]) -> None:
    if "{" in text or "}" in text:
        raise DataError(f"malformed entity markup in {text.strip()!r}")
    plain = words(text)
    tokens += plain
    tags += ["O"] * len(plain)


def read_intent_data(root: str | os.PathLike[str]) -> dict[str, IntentData]:
    """Read ``<root>/domains/*/*/{train,test}.txt`` into ``{"train": ..., "test": ...}``.

    Raises:
        DataError: No intent folders under ``root``, or a malformed line (file and line).
    """
    root = Path(root)
    folders = sorted(p.parent for p in root.glob("domains/*/*/train.txt"))
    if not folders:
        raise DataError(f"no intent folders (domains/<domain>/<intent>/train.txt) in {root.name}")
    splits = {"train": IntentData(), "test": IntentData()}
    for folder in folders:
        for split, data in splits.items():
            path = folder / f"{split}.txt"
            if not path.is_file():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                try:
                    data.add(line, folder.name)
                except DataError as error:
                    where = f"{folder.parent.name}/{folder.name}/{path.name}, line {number}"
                    raise DataError(f"{where}: {error}") from None
    return splits


def kwik_e_mart_dir() -> Path:
    """The Kwik-E-Mart app inside the installed ``mindmeld`` package (found, not imported).

    Raises:
        DataError: ``mindmeld`` is not installed.
    """
    spec = importlib.util.find_spec("mindmeld")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the Kwik-E-Mart data comes from the mindmeld package: "
            "pip install --no-deps mindmeld==4.6.2"
        )
    return Path(spec.submodule_search_locations[0]) / "kwik_e_mart"
