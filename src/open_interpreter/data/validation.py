"""Checks on labelled data: label sets, unseen labels, seeded splits, and single values.

The public part works on whole example sets: :func:`label_set` gives the labels a model
will learn, in a fixed order; :func:`unseen_labels` finds validation or test labels that
training never showed (:func:`check_labels_known` refuses them); :func:`seeded_split`
holds data out reproducibly.

The value checks (:func:`checked_text`, :func:`checked_label`, :func:`checked_strings`)
are shared by the file readers and the in-memory inputs. They raise :class:`InvalidValue`
saying what is wrong with one value; the caller knows where the value sits (a file's line,
a list's index) and turns it into a :class:`~open_interpreter.errors.DataError` naming it.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable, Sequence
from typing import TypeVar, overload

from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import ConfigError, DataError, LabelError

_E = TypeVar("_E", TextExamples, TokenExamples)

# Within one entity type: begin, inside, end, single (BIOES and BILOU spellings).
_PREFIX_ORDER = {"B": 0, "I": 1, "E": 2, "L": 2, "S": 3, "U": 3}
_MAX_LISTED = 10


@overload
def label_set(examples: TokenExamples) -> list[str]: ...
@overload
def label_set(examples: TextExamples) -> list[str | int]: ...
def label_set(examples: Examples) -> list[str] | list[str | int]:
    """Every distinct label (or tag) in ``examples``, in a deterministic order.

    Text labels are sorted (integers numerically). Tags put ``O`` first, then group by
    entity type in alphabetical order, with ``B-`` before ``I-`` (then ``E-``/``L-``,
    ``S-``/``U-``) within a type, so label ids do not depend on the order of the data.

    Args:
        examples: Labelled examples of either shape.

    Returns:
        The sorted labels.

    Raises:
        DataError: ``examples`` has no labels.

    Example:
        >>> label_set(TokenExamples([["Paris", "Hilton"]], [["B-PER", "I-PER"]]))
        ['B-PER', 'I-PER']
    """
    labels = _labels_of(examples)
    if labels is None:
        raise DataError("has no labels", source=examples.source)
    if isinstance(examples, TokenExamples):
        return sorted({str(tag) for tag in labels}, key=_tag_order)
    return sorted(set(labels), key=lambda label: (isinstance(label, str), label))


def check_labels_known(
    train_label_set: Iterable[str | int], examples: Examples, split_name: str
) -> None:
    """Raise if ``examples`` hold labels (or tags) that training never showed.

    A model cannot predict a label it has no output for, so such labels would silently
    count as errors; this names them instead. Unlabelled examples pass.

    Args:
        train_label_set: The labels seen in training (e.g. ``label_set(train)``).
        examples: The examples to check (validation or test data).
        split_name: What to call them in the message, e.g. ``"validation"``.

    Raises:
        LabelError: Some labels are unseen; the message lists up to 10 of them.

    Example:
        >>> check_labels_known(["neg", "pos"], TextExamples(["meh"], ["neutral"]), "test")
        Traceback (most recent call last):
        ...
        open_interpreter.errors.LabelError: test labels never seen in training: ['neutral']
    """
    unseen = unseen_labels(train_label_set, examples)
    if unseen:
        raise LabelError(f"{split_name} labels never seen in training: {listed(unseen)}")


def unseen_labels(known: Iterable[str | int], examples: Examples) -> list[str]:
    """The labels (or tags) of ``examples`` that are not in ``known``, as strings, sorted.

    Labels compare as strings, as a model's label names do (``1`` is ``"1"``). Tags are
    ordered as :func:`label_set` orders them; text labels sorted, numbers numerically.

    Example:
        >>> unseen_labels(["neg", "pos"], TextExamples(["meh", "ok"], ["neutral", "pos"]))
        ['neutral']
    """
    names = {str(label) for label in known}
    unseen = {str(label) for label in _labels_of(examples) or []} - names
    if isinstance(examples, TokenExamples):
        return sorted(unseen, key=_tag_order)
    return sorted(unseen, key=lambda label: (not _is_integer(label), _number(label), label))


def listed(labels: Sequence[str | int]) -> str:
    """Up to 10 labels for a message, then how many more: ``['a', 'b'] and 3 more``."""
    more = len(labels) - _MAX_LISTED
    return f"{list(labels[:_MAX_LISTED])}" + (f" and {more} more" if more > 0 else "")


def seeded_split(examples: _E, fractions: Sequence[float], seed: int) -> tuple[_E, ...]:
    """Split ``examples`` at random into parts of the given sizes, the same way every time.

    Each part keeps the original order of its examples.

    Args:
        examples: The examples to split.
        fractions: One positive fraction per part, summing to 1, e.g. ``(0.9, 0.1)``.
        seed: The random seed; the same seed and data give the same parts.

    Returns:
        One subset per fraction, made with ``examples.subset``.

    Raises:
        ConfigError: A fraction is not positive, or they do not sum to 1.
        DataError: A part would be empty (too few examples for that fraction).

    Example:
        >>> train, held_out = seeded_split(TextExamples(list("abcdefghij")), (0.8, 0.2), 42)
        >>> len(train), len(held_out)
        (8, 2)
    """
    if not fractions or any(f <= 0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise ConfigError(f"split fractions must be positive and sum to 1, got {fractions=}")
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    parts, start, total = [], 0, 0.0
    for fraction in fractions:
        total += fraction
        end = round(total * len(order))
        if end <= start:
            raise DataError(
                f"a {fraction:g} split of {len(order)} examples would be empty",
                source=examples.source,
            )
        parts.append(examples.subset(sorted(order[start:end])))
        start = end
    return tuple(parts)


class InvalidValue(ValueError):
    """One value is wrong; the message says how, the caller adds where it is."""


def checked_text(value: object) -> str:
    """``value`` if it is a non-blank string.

    Raises:
        InvalidValue: It is missing, not a string, or blank.
    """
    if is_missing(value):
        raise InvalidValue(f"is missing ({value!r})")
    if not isinstance(value, str):
        raise InvalidValue(f"is {describe_type(value)}, not a string")
    if not value.strip():
        raise InvalidValue("is empty")
    return value


def checked_label(value: object) -> str | int:
    """``value`` as a label: a non-blank string (stripped) or an integer.

    Integers of other libraries (numpy) become Python ints.

    Raises:
        InvalidValue: It is missing (None, NaN, blank) or of another type (bool, float...).
    """
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        raise InvalidValue("is empty")
    if is_missing(value):
        raise InvalidValue(f"is missing ({value!r})")
    message = f"is {describe_type(value)} {value!r}; labels must be strings or integers"
    if isinstance(value, float) and value.is_integer():
        message += " (integers with missing values among them read as floats)"
    raise InvalidValue(message)


def checked_strings(value: object) -> list[str]:
    """``value`` as a non-empty list of non-empty strings (a sentence's tokens or tags).

    Raises:
        InvalidValue: It is not a list or tuple, is empty, holds integers (tag ids rather
            than names), or holds something other than non-empty strings.
    """
    if not isinstance(value, (list, tuple)):
        raise InvalidValue(f"is {describe_type(value)}, not a list of strings")
    if not value:
        raise InvalidValue("is an empty list")
    if all(isinstance(item, numbers.Integral) for item in value):
        raise InvalidValue("holds integers; write tag names such as 'B-PER', not their ids")
    for position, item in enumerate(value):
        if isinstance(item, str) and item:
            continue
        raise InvalidValue(
            f"item {position} is {describe_type(item)} {item!r}, not a non-empty string"
        )
    return list(value)


def first_mixed_label(labels: Sequence[str | int]) -> int | None:
    """The index of the first label whose type (str or int) differs from the first's."""
    if not labels:
        return None
    first = type(labels[0])
    return next((i for i, label in enumerate(labels) if type(label) is not first), None)


def is_missing(value: object) -> bool:
    """Whether ``value`` stands for no value: None, NaN, or pandas' NA / NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


def describe_type(value: object) -> str:
    """``value``'s type with an article, for messages: ``'a float'``, ``'an int'``."""
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _labels_of(examples: Examples) -> list[str | int] | None:
    if isinstance(examples, TokenExamples):
        if examples.tags is None:
            return None
        return [tag for sentence in examples.tags for tag in sentence]
    return getattr(examples, "labels", None)  # conversations have none


def _is_integer(label: str) -> bool:
    return label.lstrip("-").isdigit()


def _number(label: str) -> int:
    return int(label) if _is_integer(label) else 0


def _tag_order(tag: str | int) -> tuple[int, str, int, str]:
    """Sort key: ``O``, then by entity type, then B, I, E/L, S/U; unknown shapes by name."""
    tag = str(tag)
    if tag == "O":
        return (0, "", 0, tag)
    prefix, dash, entity = tag.partition("-")
    if dash and prefix in _PREFIX_ORDER:
        return (1, entity, _PREFIX_ORDER[prefix], tag)
    return (1, tag, -1, tag)
