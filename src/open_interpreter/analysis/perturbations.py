"""Perturbations: small, label-preserving changes to inputs, for robustness tests and training.

Each perturbation edits a list of words (a text split on whitespace, or a NER sentence)
and, for NER, its tags, so that words and tags always stay aligned and the gold entities
stay what they were: words inside entities are never dropped, moved apart or substituted
(entity swaps replace a whole entity and its tags together).

``rate`` is the chance that each eligible word (for ``word-shuffle``: each window of three
words; for ``entity-swap``: each entity) is touched; ``punctuation-removal`` removes all
punctuation whatever the rate. Every draw comes from a generator seeded by the run's seed,
the perturbation's name and the example's index, so a perturbed set is the same on every
run and does not depend on which other perturbations ran.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import ConfigError
from open_interpreter.tasks.token_classification import entities_from_tags

if TYPE_CHECKING:
    from open_interpreter.analysis.neighbours import EmbeddingNeighbours, EntityInventory

Tags = list[str] | None
Edited = tuple[list[str], Tags]

_KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
WINDOW = 3
NEIGHBOURS = 5


@dataclass
class PerturbationResources:
    """What some perturbations need besides the words.

    Attributes:
        neighbours: The model's embedding neighbours (``neighbour-substitution``).
        entities: Entities by type to swap in (``entity-swap``).
    """

    neighbours: EmbeddingNeighbours | None = None
    entities: EntityInventory | None = None


Edit = Callable[
    [list[str], Tags, random.Random, float, PerturbationResources], tuple[list[str], Tags]
]


@dataclass(frozen=True)
class Perturbation:
    """A named perturbation.

    Attributes:
        name: Its name in configs, reports and the CLI.
        description: What it does, in one line.
        edit: ``(words, tags, rng, rate, resources) -> (words, tags)``.
        tags_only: Only meaningful for token classification (entity swaps).
    """

    name: str
    description: str
    edit: Edit
    tags_only: bool = False


def _keyboard_neighbours(letter: str) -> str:
    lower = letter.lower()
    for row, keys in enumerate(_KEYBOARD):
        col = keys.find(lower)
        if col < 0:
            continue
        near = [keys[c] for c in (col - 1, col + 1) if 0 <= c < len(keys)]
        near += [
            _KEYBOARD[r][c]
            for r in (row - 1, row + 1)
            if 0 <= r < 3
            for c in (col - 1, col, col + 1)
            if 0 <= c < len(_KEYBOARD[r])
        ]
        return "".join(near)
    return ""


def _letters(word: str) -> list[int]:
    return [i for i, c in enumerate(word) if c.isalpha()]


def _swap(word: str, rng: random.Random) -> str:
    spots = [
        i
        for i in range(len(word) - 1)
        if word[i].isalpha() and word[i + 1].isalpha() and word[i] != word[i + 1]
    ]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _drop(word: str, rng: random.Random) -> str:
    i = rng.choice(_letters(word))
    return word[:i] + word[i + 1 :]


def _insert(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) + 1)
    near = _keyboard_neighbours(word[min(i, len(word) - 1)]) or "etaoinshr"
    letter = rng.choice(near)
    return word[:i] + (letter.upper() if word.isupper() else letter) + word[i:]


def _typo(word: str, rng: random.Random) -> str:
    spots = [i for i in _letters(word) if _keyboard_neighbours(word[i])]
    if not spots:
        return word
    i = rng.choice(spots)
    letter = rng.choice(_keyboard_neighbours(word[i]))
    return word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]


def _char_noise(change: Callable[[str, random.Random], str]) -> Edit:
    def edit(
        words: list[str], tags: Tags, rng: random.Random, rate: float, _: PerturbationResources
    ) -> Edited:
        return [
            change(w, rng) if len(_letters(w)) >= 2 and rng.random() < rate else w for w in words
        ], tags

    return edit


def _case(
    words: list[str], tags: Tags, rng: random.Random, rate: float, _: PerturbationResources
) -> Edited:
    out = []
    for word in words:
        if _letters(word) and rng.random() < rate:
            options = [v for v in (word.upper(), word.lower(), word.title()) if v != word]
            word = rng.choice(options) if options else word
        out.append(word)
    return out, tags


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _no_punctuation(
    words: list[str], tags: Tags, rng: random.Random, rate: float, _: PerturbationResources
) -> Edited:
    out, out_tags = [], []
    for i, word in enumerate(words):
        stripped = "".join(c for c in word if not _is_punctuation(c))
        outside = tags is None or tags[i] == "O"
        if stripped or not outside:
            out.append(stripped or word)
            out_tags.append(None if tags is None else tags[i])
    if not out:
        return words, tags
    return out, (None if tags is None else out_tags)


def _dropout(
    words: list[str], tags: Tags, rng: random.Random, rate: float, _: PerturbationResources
) -> Edited:
    keep = [
        not ((tags is None or tags[i] == "O") and rng.random() < rate) for i in range(len(words))
    ]
    if not any(keep):
        keep[rng.randrange(len(words))] = True
    kept = [i for i, k in enumerate(keep) if k]
    return [words[i] for i in kept], (None if tags is None else [tags[i] for i in kept])


def _units(words: list[str], tags: Tags) -> list[list[int]]:
    """Word indices grouped so that each entity is one unit that moves as a whole."""
    if tags is None:
        return [[i] for i in range(len(words))]
    starts = {a: b for _, a, b, _ in entities_from_tags(list(tags), [0.0] * len(tags))}
    units, i = [], 0
    while i < len(words):
        end = starts.get(i, i + 1)
        units.append(list(range(i, end)))
        i = end
    return units


def _shuffle(
    words: list[str], tags: Tags, rng: random.Random, rate: float, _: PerturbationResources
) -> Edited:
    units = _units(words, tags)
    for start in range(0, len(units), WINDOW):
        window = units[start : start + WINDOW]
        if len(window) > 1 and rng.random() < rate:
            mixed = window[:]
            rng.shuffle(mixed)
            if mixed == window:
                mixed = window[1:] + window[:1]
            units[start : start + WINDOW] = mixed
    order = [i for unit in units for i in unit]
    return [words[i] for i in order], (None if tags is None else [tags[i] for i in order])


def _substitute(
    words: list[str], tags: Tags, rng: random.Random, rate: float, res: PerturbationResources
) -> Edited:
    if res.neighbours is None:
        raise ConfigError("neighbour-substitution needs the model's embedding neighbours")
    out = list(words)
    for i, word in enumerate(words):
        if tags is not None and tags[i] != "O":
            continue
        if rng.random() >= rate:
            continue
        head, core, tail = _CORE.match(word).groups()
        choices = res.neighbours.words(core, NEIGHBOURS) if core else []
        if choices:
            out[i] = head + rng.choice(choices) + tail
    return out, tags


def _entity_swap(
    words: list[str], tags: Tags, rng: random.Random, rate: float, res: PerturbationResources
) -> Edited:
    if tags is None or res.entities is None:
        return words, tags
    out_words, out_tags, position = [], [], 0
    for kind, a, b, _ in entities_from_tags(list(tags), [0.0] * len(tags)):
        out_words += words[position:a]
        out_tags += tags[position:a]
        drawn = res.entities.draw(kind, tuple(words[a:b]), rng) if rng.random() < rate else None
        new_words, new_tags = drawn if drawn else (words[a:b], tags[a:b])
        out_words += list(new_words)
        out_tags += list(new_tags)
        position = b
    return out_words + words[position:], out_tags + tags[position:]


PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        Perturbation("char-swap", "swap two adjacent letters of a word", _char_noise(_swap)),
        Perturbation("char-drop", "drop one letter of a word", _char_noise(_drop)),
        Perturbation(
            "char-insert", "insert a letter typed by a neighbouring key", _char_noise(_insert)
        ),
        Perturbation(
            "keyboard-typo", "replace a letter with a neighbouring key's", _char_noise(_typo)
        ),
        Perturbation("case-change", "change a word to UPPER, lower or Title case", _case),
        Perturbation(
            "punctuation-removal", "remove all punctuation (rate not used)", _no_punctuation
        ),
        Perturbation("word-dropout", "drop words (never entity words)", _dropout),
        Perturbation(
            "word-shuffle", "shuffle words within windows of three (entities kept whole)", _shuffle
        ),
        Perturbation(
            "neighbour-substitution",
            "replace a word with a nearest neighbour in the model's embedding space",
            _substitute,
        ),
        Perturbation(
            "entity-swap",
            "replace an entity with another of its type seen in training",
            _entity_swap,
            tags_only=True,
        ),
    )
}


def check_perturbations(names: Sequence[str] | None, *, token_task: bool) -> list[str]:
    """Validate perturbation names for a task; None means every one that applies.

    Raises:
        ConfigError: An unknown name, or ``entity-swap`` for a text classifier.
    """
    if names is None:
        return [n for n, p in PERTURBATIONS.items() if token_task or not p.tags_only]
    unknown = [n for n in names if n not in PERTURBATIONS]
    if unknown:
        raise ConfigError(f"unknown perturbations {unknown}; choose from {list(PERTURBATIONS)}")
    if not token_task and any(PERTURBATIONS[n].tags_only for n in names):
        raise ConfigError("entity-swap needs a token-classification (NER) model")
    return list(names)


def perturb_words(
    name: str,
    words: list[str],
    tags: Tags = None,
    *,
    rate: float = 0.1,
    rng: random.Random,
    resources: PerturbationResources | None = None,
) -> tuple[list[str], Tags]:
    """Apply perturbation ``name`` to one list of words (and its tags).

    Args:
        name: A key of :data:`PERTURBATIONS`.
        words: The words.
        tags: One tag per word (IOB2), or None.
        rate: Chance that each eligible word (window, entity) is touched.
        rng: The random generator to draw from.
        resources: Neighbours and entities, for the perturbations that need them.

    Returns:
        The new words and tags, as long as each other.

    Raises:
        ConfigError: Unknown name, or a needed resource is missing.
    """
    check_perturbations([name], token_task=True)
    if not words:
        return list(words), tags
    return PERTURBATIONS[name].edit(
        list(words), tags, rng, rate, resources or PerturbationResources()
    )


def perturb_examples(
    examples: Examples,
    name: str,
    *,
    rate: float = 0.1,
    seed: int = 0,
    resources: PerturbationResources | None = None,
) -> Examples:
    """Return a perturbed copy of ``examples`` (labels kept; tags moved with their words).

    Texts are split on whitespace and joined back with single spaces. Each example draws
    from its own generator, seeded by ``seed``, ``name`` and its index.

    Example:
        >>> perturb_examples(TextExamples(["the film is great"], ["pos"]), "char-swap", rate=1.0)
        ... # doctest: +SKIP
    """
    rngs = [random.Random(f"{seed}/{name}/{i}") for i in range(len(examples))]
    if isinstance(examples, TokenExamples):
        pairs = [
            perturb_words(
                name,
                tokens,
                None if examples.tags is None else examples.tags[i],
                rate=rate,
                rng=rngs[i],
                resources=resources,
            )
            for i, tokens in enumerate(examples.tokens)
        ]
        return TokenExamples(
            tokens=[w for w, _ in pairs],
            tags=None if examples.tags is None else [t for _, t in pairs],
            source=f"{examples.source} ({name})",
        )

    def text(value: str, rng: random.Random) -> str:
        words, _ = perturb_words(name, value.split(), rate=rate, rng=rng, resources=resources)
        return " ".join(words) or value

    return TextExamples(
        texts=[text(t, rngs[i]) for i, t in enumerate(examples.texts)],
        labels=examples.labels,
        text_pairs=None
        if examples.text_pairs is None
        else [text(t, rngs[i]) for i, t in enumerate(examples.text_pairs)],
        source=f"{examples.source} ({name})",
    )
