"""Token classification (NER): one tag per word, entities as character spans."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from open_interpreter.data.encoding import Feature, encode_tokens, word_predictions
from open_interpreter.data.examples import TokenExamples
from open_interpreter.data.validation import label_set, unseen_labels
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.evaluation.metrics import evaluate_token_classification
from open_interpreter.tasks.base import PreparedInputs, Task
from open_interpreter.tasks.forward import ForwardResult

_FALLBACK_WORDS = re.compile(r"\w+|[^\w\s]")


@dataclass
class Entity:
    """A predicted entity: its type, text, character span, word span and mean score."""

    type: str
    text: str
    start: int
    end: int
    score: float
    words: tuple[int, int] = (0, 0)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass
class TokenPrediction:
    """Tags for each word of one input and the entities they form."""

    tokens: list[str]
    tags: list[str]
    scores: list[float]
    entities: list[Entity] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def split_words(tokenizer: Any, text: str) -> list[tuple[str, int, int]]:
    """Split raw text into words with character offsets, the way the tokenizer does.

    Uses the tokenizer's own pre-tokenizer (whitespace and punctuation for BERT), so
    words line up with how CoNLL-style training data is split.
    """
    pre = getattr(getattr(tokenizer, "backend_tokenizer", None), "pre_tokenizer", None)
    if pre is not None:
        pieces = pre.pre_tokenize_str(text)
        # Byte-level pre-tokenizers (GPT-2, RoBERTa) mark spaces as "Ġ"; take words from offsets.
        return [
            (text[s:e].strip(), s + (len(text[s:e]) - len(text[s:e].lstrip())), e)
            for _, (s, e) in pieces
            if text[s:e].strip()
        ]
    return [(m.group(), m.start(), m.end()) for m in _FALLBACK_WORDS.finditer(text)]


def entities_from_tags(tags: list[str], scores: list[float]) -> list[tuple[str, int, int, float]]:
    """Group IOB2 tags into ``(type, first_word, last_word_exclusive, mean_score)``.

    An ``I-`` tag that does not continue an entity of its type starts a new one, as
    ``transformers`` pipelines and seqeval's default mode do.
    """
    spans: list[tuple[str, int, int, float]] = []
    kind, start = None, 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and label == kind
        if kind is not None and not continues:
            spans.append((kind, start, i, float(np.mean(scores[start:i]))))
            kind = None
        if prefix in ("B", "I") and not continues:
            kind, start = label, i
    return spans


class TokenClassificationTask(Task):
    """Tag every word of a sentence (named entities, parts of speech, chunks)."""

    name: ClassVar[str] = "token-classification"
    auto_class: ClassVar[str] = "AutoModelForTokenClassification"
    labels_words: ClassVar[bool] = True
    headline_metric: ClassVar[str] = "entity_f1"
    analyses: ClassVar[frozenset[str]] = frozenset({"explain", "perturb", "attack"})

    def _check(self, examples: Any) -> TokenExamples:
        if not isinstance(examples, TokenExamples):
            raise DataError(
                f"token classification needs token lists with one tag per token, but "
                f"{examples.source} holds texts with one label each"
            )
        return examples

    def label_set(self, examples: TokenExamples) -> list[str]:  # type: ignore[override]
        """Return the tags, ``O`` first, then grouped by entity type with B before I."""
        return label_set(self._check(examples))

    def encode(
        self,
        tokenizer: Any,
        examples: TokenExamples,
        label2id: dict[str, int] | None,  # type: ignore[override]
        max_length: int,
    ) -> list[Feature]:
        """Encode sentences, labelling first sub-words and windowing long sentences."""
        return encode_tokens(tokenizer, self._check(examples), label2id, max_length)

    def decode(
        self,
        examples: TokenExamples,
        features: list[Feature],
        result: ForwardResult,  # type: ignore[override]
        id2label: dict[int, str],
    ) -> list[TokenPrediction]:
        """Return each sentence's word tags, their probabilities and its entities."""
        rows = word_predictions(features, result.probabilities, [len(t) for t in examples.tokens])
        predictions = []
        for tokens, word_rows in zip(examples.tokens, rows, strict=True):
            tags, scores = [], []
            for row in word_rows:
                best = 0 if row is None else int(np.argmax(row))
                tags.append(id2label[best] if row is not None else "O")
                scores.append(float(row[best]) if row is not None else 0.0)
            entities = [
                Entity(kind, " ".join(tokens[a:b]), a, b, score, (a, b))
                for kind, a, b, score in entities_from_tags(tags, scores)
            ]
            predictions.append(TokenPrediction(list(tokens), tags, scores, entities))
        return predictions

    def score(
        self,
        examples: TokenExamples,
        predictions: list[TokenPrediction],
        labels: list[str],  # type: ignore[override]
        loss: float | None,
        split: str,
    ) -> EvaluationReport:
        """Token-level report (with ``O``) and entity-level seqeval scores.

        Gold tags the model has no output for get rows of their own after ``labels``:
        never predicted, they score 0 (and so do their entities).
        """
        names = [*labels, *unseen_labels(labels, examples)]
        return evaluate_token_classification(
            examples.tags or [], [p.tags for p in predictions], names, loss=loss, split=split
        )

    def check_inputs(self, items: list[Any]) -> list[Any]:
        """Each input is a text, or a sentence already split into words (a list of strings)."""
        checked: list[Any] = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                checked.append(item)
            elif isinstance(item, (list, tuple)) and all(isinstance(w, str) for w in item):
                checked.append(list(item))
            else:
                raise DataError(f"texts.{i}: expected a string")
        return checked

    def prepare_inputs(self, tokenizer: Any, items: list[Any]) -> PreparedInputs:
        """Split texts into words (keeping each word's character span); word lists stay."""
        tokens: list[list[str]] = []
        spans: list[list[tuple[int, int]] | None] = []
        for item in items:
            if isinstance(item, str):
                words = split_words(tokenizer, item)
                tokens.append([w for w, _, _ in words])
                spans.append([(s, e) for _, s, e in words])
            else:
                tokens.append(list(item))
                spans.append(None)
        return PreparedInputs(TokenExamples(tokens=tokens, source="inputs"), spans)

    def finish_predictions(
        self, predictions: list[Any], items: list[Any], prepared: PreparedInputs
    ) -> list[Any]:
        """Give the entities of each text input character offsets into that text."""
        for prediction, item, spans in zip(predictions, items, prepared.spans or (), strict=True):
            if spans is not None:
                with_char_offsets(prediction, item, spans)
        return predictions


def with_char_offsets(
    prediction: TokenPrediction, text: str, spans: list[tuple[int, int]]
) -> TokenPrediction:
    """Replace word-index spans of entities with character offsets into ``text``."""
    for entity in prediction.entities:
        a, b = entity.words
        entity.start, entity.end = spans[a][0], spans[b - 1][1]
        entity.text = text[entity.start : entity.end]
    return prediction
