"""``OpenInterpreter.explain(text)``: which words made the model decide what it decided.

A text classifier gets one :class:`Explanation` for its predicted label (or a label you
choose); a tagger gets one per predicted entity (or per entity of a type you choose).
Every explanation holds the words with their character offsets and one score each, is
JSON-ready (:meth:`Explanation.to_dict`) and renders as HTML (:meth:`Explanation.to_html`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from open_interpreter.analysis.attributions import method_name, word_scores
from open_interpreter.analysis.encoding import WordEncoding, encode_text, encode_tokens
from open_interpreter.analysis.scoring import (
    Target,
    blank_token_id,
    class_probabilities,
    target_probabilities,
)
from open_interpreter.errors import DataError, LabelError
from open_interpreter.tasks.token_classification import entities_from_tags, split_words

if TYPE_CHECKING:
    from open_interpreter.bundle import ModelBundle


@dataclass
class Explanation:
    """Word attributions for one decision of the model.

    Attributes:
        text: The input text.
        words: Its words, split the way the tokenizer splits them.
        offsets: ``(start, end)`` character offsets of each word in ``text``.
        scores: One attribution per word: positive pushes toward the target, negative away.
        target: The label explained (classification) or the entity's type (NER).
        method: ``integrated-gradients``, ``occlusion`` or ``attention-rollout``.
        probability: The model's probability of the target on ``text`` (for an entity,
            the mean probability of its words' tags).
        task: The model's task.
        entity: For NER, the entity explained: ``type``, ``text``, ``start``, ``end``,
            ``words`` (first, last + 1) and ``score``; None for classification.
    """

    text: str
    words: list[str]
    offsets: list[tuple[int, int]]
    scores: list[float]
    target: str
    method: str
    probability: float
    task: str
    entity: dict[str, Any] | None = None

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """Return the ``k`` words that push hardest toward the target, with their scores."""
        order = sorted(range(len(self.words)), key=lambda i: -self.scores[i])[:k]
        return [(self.words[i], self.scores[i]) for i in order]

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON values (offsets as ``[start, end]`` lists)."""
        data = asdict(self)
        data["offsets"] = [list(span) for span in self.offsets]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        """Rebuild an explanation written by :meth:`to_dict`."""
        values = dict(data)
        values["offsets"] = [tuple(span) for span in values["offsets"]]
        return cls(**values)

    def to_html(self, *, standalone: bool = False) -> str:
        """Render the text with each word's background graded by its score.

        Args:
            standalone: Return a whole HTML page (with its style sheet) instead of a fragment.

        Returns:
            HTML; green words support the target, red ones speak against it.
        """
        from open_interpreter.analysis.render import explanation_html, html_page

        fragment = explanation_html(self)
        return (
            html_page([fragment], title=f"Explanation: {self.target}") if standalone else fragment
        )

    def _repr_html_(self) -> str:
        """The explanation for notebooks: :meth:`to_html` with its style sheet."""
        from open_interpreter.analysis.render import EXPLANATION_STYLE

        return f"<style>{EXPLANATION_STYLE}</style>{self.to_html()}"

    def save_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` as a standalone page to ``path`` and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(standalone=True), encoding="utf-8")
        return path


def explain(
    bundle: ModelBundle,
    text: str,
    method: str = "integrated-gradients",
    target: str | None = None,
    *,
    steps: int = 32,
) -> Explanation | list[Explanation]:
    """Explain the model's decision on ``text``; see :meth:`OpenInterpreter.explain`.

    Raises:
        ConfigError: Unknown method.
        LabelError: ``target`` is not one of the model's labels (entity types for NER).
        DataError: Empty text, or a sentence-pair model (pairs are not explained yet).
    """
    method = method_name(method)
    task = bundle.require_head()
    if "explain" not in task.analyses:
        raise DataError(
            f"explain() covers text classification and NER; {task.name} models are not supported"
        )
    encoding = encode_input(bundle, text)
    if task.labels_words:
        return [
            _explanation(bundle, encoding, t, method, steps, entity=e)
            for t, e in entity_targets(bundle, encoding, target)
        ]
    return _explanation(bundle, encoding, label_target(bundle, encoding, target), method, steps)


def explain_entity(
    bundle: ModelBundle,
    text: str,
    index: int,
    method: str = "integrated-gradients",
    *,
    steps: int = 32,
) -> Explanation:
    """Explain one entity a tagger finds in ``text``: the ``index``-th, in reading order.

    Only that entity is explained (each explanation costs a full attribution run), where
    :func:`explain` explains every entity.

    Raises:
        ConfigError: Unknown method.
        LabelError: ``index`` is not the index of an entity the model finds in ``text``.
        DataError: Empty text, or the model is not a token-classification model.

    Example:
        >>> explain_entity(ner, "Peter Blackburn flew to Brussels", 1).entity["text"]
        ... # doctest: +SKIP
    """
    method = method_name(method)
    if not bundle.require_head().labels_words:
        raise DataError(
            f"entities are explained for token-classification models, not {bundle.task.name}"
        )
    encoding = encode_input(bundle, text)
    targets = entity_targets(bundle, encoding)
    if not 0 <= index < len(targets):
        found = f"indices 0 to {len(targets) - 1}" if targets else "it finds none"
        raise LabelError(
            f"target {index} is not the index of an entity the model finds in this text ({found})"
        )
    target, entity = targets[index]
    return _explanation(bundle, encoding, target, method, steps, entity=entity)


def encode_input(bundle: ModelBundle, text: str) -> WordEncoding:
    """Encode ``text`` as the bundle's task reads it (split into words for NER)."""
    tokenizer, max_length = bundle.tokenizer, bundle.max_length()
    if bundle.require_head().labels_words:
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"there is nothing to analyse: the text is empty (got {text!r})")
        words = split_words(tokenizer, text)
        return encode_tokens(
            tokenizer,
            [w for w, _, _ in words],
            max_length,
            text=text,
            spans=[(s, e) for _, s, e in words],
        )
    return encode_text(tokenizer, text, max_length)


def label_target(bundle: ModelBundle, encoding: WordEncoding, label: str | None = None) -> Target:
    """The target for a text classifier: ``label``, or the label it predicts.

    Raises:
        LabelError: ``label`` is not one of the model's labels.
    """
    labels = list(bundle.labels or [])
    if label is None:
        probs = class_probabilities(bundle.model, encoding)
        return Target(labels[int(np.argmax(probs))], [int(np.argmax(probs))])
    if str(label) not in labels:
        raise LabelError(f"target {label!r} is not one of the model's labels {labels}")
    return Target(str(label), [labels.index(str(label))])


def entity_targets(
    bundle: ModelBundle, encoding: WordEncoding, entity_type: str | None = None
) -> list[tuple[Target, dict[str, Any]]]:
    """The targets for a tagger: each predicted entity (of ``entity_type``, if given).

    Returns:
        Per entity, its target (its words' predicted tags) and a description of it.

    Raises:
        LabelError: ``entity_type`` is not one of the model's entity types.
    """
    labels = list(bundle.labels or [])
    types = sorted({label.split("-", 1)[1] for label in labels if "-" in label})
    if entity_type is not None and entity_type not in types:
        raise LabelError(f"target {entity_type!r} is not one of the model's entity types {types}")
    probs = class_probabilities(bundle.model, encoding)
    first = encoding.first_positions()
    best = {w: int(np.argmax(probs[p])) for w, p in first.items()}
    tags = [labels[best[w]] if w in best else "O" for w in range(len(encoding.words))]
    scores = [float(probs[first[w]][best[w]]) if w in best else 0.0 for w in range(len(tags))]
    targets = []
    for kind, a, b, score in entities_from_tags(tags, scores):
        if entity_type is not None and kind != entity_type:
            continue
        start, end = encoding.spans[a][0], encoding.spans[b - 1][1]
        entity = {
            "type": kind,
            "text": encoding.text[start:end],
            "start": start,
            "end": end,
            "words": [a, b],
            "score": score,
        }
        positions = [first[w] for w in range(a, b)]
        targets.append((Target(kind, [best[w] for w in range(a, b)], positions), entity))
    return targets


def _explanation(
    bundle: ModelBundle,
    encoding: WordEncoding,
    target: Target,
    method: str,
    steps: int,
    entity: dict[str, Any] | None = None,
) -> Explanation:
    model = bundle.model
    model.eval()
    blank = blank_token_id(bundle.tokenizer)
    scores = word_scores(model, encoding, target, method, blank_id=blank, steps=steps)
    probability = float(target_probabilities(model, encoding, [encoding.input_ids], target)[0])
    return Explanation(
        text=encoding.text,
        words=list(encoding.words),
        offsets=list(encoding.spans),
        scores=scores,
        target=target.label,
        method=method,
        probability=probability,
        task=bundle.task.name,
        entity=entity,
    )
