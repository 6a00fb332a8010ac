"""Turn examples into model inputs: sub-word encoding and label alignment.

Token-classification labels are aligned to sub-words the way the field does it: the
first sub-word of each word carries the word's tag, the other sub-words and the special
tokens carry ``-100`` (ignored by the loss). Sentences longer than ``max_length`` are
split into overlapping windows so that no word is lost; each window remembers which
sentence and words it covers so predictions can be put back together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from open_interpreter.data.examples import TextExamples, TokenExamples
from open_interpreter.errors import LabelError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100


@dataclass
class Feature:
    """One model input: token ids and (optionally) aligned label ids.

    Attributes:
        input_ids: Sub-word ids including special tokens.
        labels: Label ids (one per example, or one per sub-word with -100 where ignored).
        token_type_ids: Segment ids for sentence pairs, when the model uses them.
        example: Index of the example this feature came from.
        word_ids: For token tasks, the word index of each sub-word (None for specials).
    """

    input_ids: list[int]
    labels: int | list[int] | None = None
    token_type_ids: list[int] | None = None
    example: int = 0
    word_ids: list[int | None] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def _label_id(label: str | int, label2id: dict[str, int], where: str) -> int:
    try:
        return label2id[str(label)]
    except KeyError:
        known = sorted(label2id)[:20]
        raise LabelError(f"{where}: unknown label {label!r}; the model knows {known}") from None


def encode_texts(
    tokenizer: Any,
    examples: TextExamples,
    label2id: dict[str, int] | None,
    max_length: int,
) -> list[Feature]:
    """Encode texts (and text pairs) for sequence classification, truncating long ones.

    Args:
        tokenizer: A fast Hugging Face tokenizer.
        examples: The texts, optional pairs and labels.
        label2id: Label to id map; labels are left out when None or unlabelled.
        max_length: Longest input in sub-words; longer inputs are truncated with a warning.

    Returns:
        One feature per example, in order.

    Raises:
        LabelError: An example's label is not in ``label2id``.
    """
    pairs = examples.text_pairs
    enc = tokenizer(examples.texts, pairs, truncation=False)
    too_long = [i for i, ids in enumerate(enc["input_ids"]) if len(ids) > max_length]
    if too_long:
        logger.warning(
            "%d of %d texts are longer than max_length=%d sub-words and were truncated",
            len(too_long),
            len(examples),
            max_length,
        )
        cut = tokenizer(
            [examples.texts[i] for i in too_long],
            [pairs[i] for i in too_long] if pairs else None,
            truncation="longest_first" if pairs else True,
            max_length=max_length,
        )
        for key in enc:
            for j, i in enumerate(too_long):
                enc[key][i] = cut[key][j]
    features = []
    for i, ids in enumerate(enc["input_ids"]):
        label = None
        if examples.labels is not None and label2id is not None:
            label = _label_id(examples.labels[i], label2id, f"{examples.source} example {i}")
        types = enc["token_type_ids"][i] if "token_type_ids" in enc else None
        features.append(Feature(input_ids=ids, labels=label, token_type_ids=types, example=i))
    return features


def encode_tokens(
    tokenizer: Any,
    examples: TokenExamples,
    label2id: dict[str, int] | None,
    max_length: int,
    stride: int = 32,
) -> list[Feature]:
    """Encode pre-split sentences for token classification, windowing long ones.

    Args:
        tokenizer: A fast Hugging Face tokenizer (word ids are needed for alignment).
        examples: Sentences as word lists, with optional tag lists.
        label2id: Tag to id map; labels are left out when None or unlabelled.
        max_length: Longest window in sub-words.
        stride: Sub-words shared by consecutive windows of a long sentence.

    Returns:
        One feature per window; most sentences have exactly one.

    Raises:
        LabelError: A tag is not in ``label2id``.
    """
    enc = tokenizer(
        examples.tokens,
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
        stride=min(stride, max_length // 4),
        return_overflowing_tokens=True,
    )
    windows_of = enc["overflow_to_sample_mapping"]
    split = len(windows_of) - len(examples)
    if split:
        logger.info("%d long sentences were split into overlapping windows", split)
    features = []
    for w, example in enumerate(windows_of):
        word_ids = enc.word_ids(w)
        labels = None
        if examples.tags is not None and label2id is not None:
            tags = examples.tags[example]
            where = f"{examples.source} sentence {example}"
            labels = _align(word_ids, [_label_id(t, label2id, where) for t in tags])
        features.append(
            Feature(
                input_ids=enc["input_ids"][w], labels=labels, example=example, word_ids=word_ids
            )
        )
    return features


def _align(word_ids: list[int | None], tag_ids: list[int]) -> list[int]:
    """Label the first sub-word of each word; ignore the rest and the special tokens."""
    labels = []
    previous = None
    for word in word_ids:
        labels.append(IGNORE_INDEX if word is None or word == previous else tag_ids[word])
        previous = word
    return labels


def word_predictions(
    features: list[Feature], scores: list[Any], num_words: list[int]
) -> list[list[Any]]:
    """Gather per-sub-word scores back into one score row per word of each sentence.

    A word seen in several windows takes the row from the window where it sits farthest
    from an edge (it had the most context there). Words that no window reached (empty
    sub-word encodings such as stray control characters) get None.

    Args:
        features: The features of :func:`encode_tokens`, in order.
        scores: For each feature, a per-sub-word sequence of score rows.
        num_words: Words in each sentence.

    Returns:
        For each sentence, one score row (or None) per word.
    """
    rows: list[list[Any]] = [[None] * n for n in num_words]
    margin: list[list[int]] = [[-1] * n for n in num_words]
    for feature, feature_scores in zip(features, scores, strict=True):
        word_ids = feature.word_ids or []
        length = len(word_ids)
        previous = None
        for position, word in enumerate(word_ids):
            if word is not None and word != previous:
                edge = min(position, length - 1 - position)
                if edge > margin[feature.example][word]:
                    margin[feature.example][word] = edge
                    rows[feature.example][word] = feature_scores[position]
            previous = word
    return rows
