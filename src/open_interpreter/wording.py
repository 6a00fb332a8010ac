"""How messages word things: a count with its noun, and "did you mean" suggestions.

Example:
    >>> plural(1, "step"), plural(3, "step")
    ('1 step', '3 steps')
    >>> did_you_mean("minilm-l7", ["minilm-l6", "smollm2-135m-instruct"])
    "Did you mean 'minilm-l6'?"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one.

    Args:
        count: How many.
        noun: The singular noun (``"step"``).
        plural_noun: The plural, when it is not the noun plus ``s`` (``"entries"``).

    Returns:
        E.g. ``"1 step"``, ``"0 steps"``, ``"2 entries"``.

    Example:
        >>> plural(1, "label"), plural(2, "entry", "entries")
        ('1 label', '2 entries')
    """
    return f"{count} {noun if count == 1 else plural_noun or noun + 's'}"


def close_matches(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """The candidates spelled most like ``name``, closest first (``difflib``'s ratio ≥ 0.6).

    Args:
        name: What the user typed.
        candidates: The names that exist (repeats are ignored).
        limit: The most matches to return.

    Returns:
        Up to ``limit`` candidates; empty when none is close, or ``name`` is one of them.

    Example:
        >>> close_matches("epoch", ["epochs", "seed", "max_steps"])
        ['epochs']
    """
    known = list(dict.fromkeys(candidates))
    if name in known:
        return []
    return difflib.get_close_matches(name, known, n=limit, cutoff=0.6)


def did_you_mean(
    name: str, candidates: Iterable[str], *, shown: Iterable[str] | None = None
) -> str:
    """A "Did you mean ...?" sentence for the candidates closest to ``name``, or ``""``.

    Args:
        name: What the user typed.
        candidates: The names that exist.
        shown: How to show each candidate, in the same order (default: as it is).

    Returns:
        ``"Did you mean 'a'?"``, ``"Did you mean 'a' or 'b'?"``, or ``""`` when nothing is
        close.

    Example:
        >>> did_you_mean("wnut16-ner", ["wnut16_ner", "bbc_topics"])
        "Did you mean 'wnut16_ner'?"
    """
    candidates = list(candidates)
    display = dict(zip(candidates, shown if shown is not None else candidates, strict=True))
    matches = [repr(display[match]) for match in close_matches(name, candidates)]
    if not matches:
        return ""
    listed = matches[0] if len(matches) == 1 else ", ".join(matches[:-1]) + " or " + matches[-1]
    return f"Did you mean {listed}?"
