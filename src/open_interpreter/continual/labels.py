"""The new data against the model's task and labels: refuse what conflicts, grow the head
for new labels while keeping the old labels' rows."""

from __future__ import annotations

import logging
import re
from typing import Any

import torch

from open_interpreter.data.examples import ChatExamples, Examples, TextExamples, TokenExamples
from open_interpreter.errors import DataError, LabelError
from open_interpreter.tasks import Task
from open_interpreter.wording import plural

logger = logging.getLogger(__name__)

#: Spellings of one entity type or class that a renamed tag most often takes.
ALIASES = {
    "per": "person",
    "pers": "person",
    "person": "person",
    "loc": "location",
    "location": "location",
    "geoloc": "location",
    "org": "organization",
    "organization": "organization",
    "organisation": "organization",
    "misc": "miscellaneous",
    "miscellaneous": "miscellaneous",
}
_PREFIX = re.compile(r"^(?P<prefix>[BIESLU])[-_](?P<type>.+)$", re.IGNORECASE)


def relabelled(examples: Examples, label_map: dict[str, str]) -> Examples:
    """``examples`` with their labels (or tags) renamed by ``label_map``."""
    if not label_map:
        return examples
    if isinstance(examples, TokenExamples) and examples.tags is not None:
        tags = [[label_map.get(t, t) for t in sentence] for sentence in examples.tags]
        return TokenExamples(examples.tokens, tags, examples.source, examples.columns)
    if isinstance(examples, TextExamples) and examples.labels is not None:
        labels = [label_map.get(str(label), str(label)) for label in examples.labels]
        return TextExamples(
            examples.texts, labels, examples.text_pairs, examples.source, examples.columns
        )
    return examples


def check_same_task(task: Task, examples: Examples, source: str) -> None:
    """Refuse data in another shape than the model's task takes.

    Raises:
        DataError: Tag lists for a text classifier, one label per text for an NER model,
            text pairs for a single-text classifier (or the reverse), or conversations.
    """
    if isinstance(examples, ChatExamples) or task.generative:
        raise DataError(
            f"continued training covers classification and NER models; {source} holds "
            f"conversations or the model is a {task.name} model"
        )
    if task.labels_words and not isinstance(examples, TokenExamples):
        raise DataError(
            f"the model is a {task.name} model (one tag per word), but {source} has one "
            "label per text: continue it with tagged sentences (a CoNLL file), or train a "
            "new model for this task"
        )
    if not task.labels_words and isinstance(examples, TokenExamples):
        raise DataError(
            f"the model is a {task.name} model (one label per text), but {source} has one "
            "tag per word: continue it with labelled texts, or train a new NER model"
        )
    pairs = isinstance(examples, TextExamples) and examples.text_pairs is not None
    if task.name == "sentence-pair" and not pairs:
        raise DataError(f"the model classifies pairs of texts, but {source} holds single texts")
    if task.name == "sequence-classification" and pairs:
        raise DataError(f"the model classifies single texts, but {source} holds pairs of texts")


def new_labels(old: list[str], found: list[str], *, tags: bool) -> list[str]:
    """The labels of ``found`` the model has no output for, after checking none is an old
    label spelled differently (a renamed tag).

    Raises:
        LabelError: A new label is an old one renamed (``B-PERSON`` for ``B-PER``,
            ``positive`` for ``Positive``), or a tag breaks the model's B-/I- scheme.
    """
    old_keys = {_key(label, tags=tags): label for label in old}
    fresh = [label for label in found if label not in old]
    for label in fresh:
        twin = old_keys.get(_key(label, tags=tags))
        if twin is not None:
            raise LabelError(
                f"the new data's label {label!r} looks like the model's {twin!r} renamed; "
                f"map it with label_map={{{label!r}: {twin!r}}} (--label-map "
                f"{label}={twin}), or rename it in the data"
            )
    if tags:
        _check_scheme(old, fresh)
    return fresh


def grow_head(model: Any, old: list[str], labels: list[str]) -> None:
    """Give ``model``'s head outputs for ``labels`` (``old`` first, in order, then the new
    ones), keeping the rows of the old labels and starting the new rows as a fresh head
    starts (the model's own initialisation).

    Raises:
        LabelError: ``labels`` does not start with ``old``.
    """
    if labels[: len(old)] != old:
        raise LabelError(f"new labels must follow the old ones {old}; got {labels}")
    added = len(labels) - len(old)
    if added == 0:
        return
    grown = 0
    for module_name, module in list(model.named_modules()):
        if isinstance(module, torch.nn.Linear) and module.out_features == len(old):
            if module_name.startswith(model.base_model_prefix + "."):
                continue  # inside the backbone: not the head
            _grow_linear(model, module_name, module, added)
            grown += 1
    if not grown:
        raise LabelError(f"found no output layer with {len(old)} rows to grow in the model")
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {label: i for i, label in enumerate(labels)}
    if hasattr(model, "num_labels"):
        model.num_labels = len(labels)
    logger.info("grew the head by %s: %s", plural(added, "label"), labels[len(old) :])


def _grow_linear(model: Any, name: str, old: torch.nn.Linear, added: int) -> None:
    new = torch.nn.Linear(old.in_features, old.out_features + added, bias=old.bias is not None)
    new.to(device=old.weight.device, dtype=old.weight.dtype)
    if hasattr(model, "_init_weights"):
        model._init_weights(new)
    with torch.no_grad():
        new.weight[: old.out_features] = old.weight
        if old.bias is not None:
            new.bias[: old.out_features] = old.bias
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def _key(label: str, *, tags: bool) -> str:
    """What a label means, spelling aside: ``B-PERSON`` and ``b-per`` share one key."""
    prefix, kind = "", label
    if tags and (match := _PREFIX.match(label)):
        prefix, kind = match["prefix"].upper() + "-", match["type"]
    flat = re.sub(r"[^a-z0-9]", "", kind.lower())
    return prefix + ALIASES.get(flat, flat)


def _check_scheme(old: list[str], fresh: list[str]) -> None:
    """Tags of a new type must use the model's prefixes (IOB2 ``B-``/``I-``, or BIOES)."""
    prefixes = {m["prefix"].upper() for t in old if (m := _PREFIX.match(t))}
    if not prefixes:
        return
    for tag in fresh:
        match = _PREFIX.match(tag)
        if tag != "O" and (match is None or match["prefix"].upper() not in prefixes):
            raise LabelError(
                f"the new data's tag {tag!r} does not follow the model's tagging scheme "
                f"(prefixes {sorted(prefixes)}): convert the data to it first"
            )
