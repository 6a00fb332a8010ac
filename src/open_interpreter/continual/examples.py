"""Examples as plain data: one example as a dict, a list of them back as examples, and
joining splits — what the rehearsal buffer and the stored evaluation sets are made of."""

from __future__ import annotations

from typing import Any

from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import DataError


def example_at(examples: Examples, i: int) -> dict[str, Any]:
    """Example ``i`` of ``examples`` as a JSON-ready dict."""
    if isinstance(examples, TokenExamples):
        return {"tokens": examples.tokens[i], "tags": (examples.tags or [])[i]}
    item: dict[str, Any] = {"text": examples.texts[i], "label": str((examples.labels or [])[i])}
    if examples.text_pairs is not None:
        item["text_pair"] = examples.text_pairs[i]
    return item


def examples_to_items(examples: Examples) -> list[dict[str, Any]]:
    """Every example of ``examples`` as a JSON-ready dict."""
    return [example_at(examples, i) for i in range(len(examples))]


def examples_from_items(items: list[dict[str, Any]], like: Examples, *, source: str) -> Examples:
    """Dicts written by :func:`example_at` back as examples of ``like``'s kind."""
    if isinstance(like, TokenExamples):
        return TokenExamples(
            tokens=[item["tokens"] for item in items],
            tags=[item["tags"] for item in items],
            source=source,
        )
    pairs = [item["text_pair"] for item in items] if items and "text_pair" in items[0] else None
    return TextExamples(
        texts=[item["text"] for item in items],
        labels=[item["label"] for item in items],
        text_pairs=pairs,
        source=source,
    )


def joined(first: Examples, second: Examples | None) -> Examples:
    """``first`` followed by ``second`` (the training data with the rehearsal buffer).

    Raises:
        DataError: They are not the same kind of examples.
    """
    if second is None or len(second) == 0:
        return first
    if type(first) is not type(second):
        raise DataError(f"cannot mix {first.source} with {second.source}: different kinds of data")
    items = examples_to_items(first) + examples_to_items(second)
    return examples_from_items(items, first, source=first.source)
