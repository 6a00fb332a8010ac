"""One input as words with character offsets, and the sub-words each word became.

Explanations, faithfulness curves and the attack all work on words, while the model sees
sub-words: :class:`WordEncoding` keeps both and the map between them. Texts are split into
words the way the tokenizer splits them (:func:`~open_interpreter.tasks.split_words`),
so a word here is a word in a CoNLL file or in a prediction's entity span.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from open_interpreter.errors import DataError
from open_interpreter.tasks.token_classification import split_words


@dataclass
class WordEncoding:
    """A text, its words with character offsets, and their sub-word encoding.

    Attributes:
        text: The input text (for pre-split tokens: the tokens joined by single spaces).
        words: The words, in order.
        spans: ``(start, end)`` character offsets of each word in ``text``.
        input_ids: Sub-word ids, special tokens included, truncated to the model's length.
        token_type_ids: Segment ids when the model uses them, else None.
        word_ids: For each sub-word, the index of its word (None for special tokens).
        pre_split: Whether the words were given (NER tokens) rather than found in a text.
    """

    text: str
    words: list[str]
    spans: list[tuple[int, int]]
    input_ids: list[int]
    token_type_ids: list[int] | None
    word_ids: list[int | None]
    pre_split: bool = False

    def positions(self, word: int) -> list[int]:
        """Return the sub-word positions of word number ``word`` (empty if truncated away)."""
        return [i for i, w in enumerate(self.word_ids) if w == word]

    def first_positions(self) -> dict[int, int]:
        """Return, per encoded word, the position of its first sub-word (the one with a tag)."""
        first: dict[int, int] = {}
        for position, word in enumerate(self.word_ids):
            if word is not None and word not in first:
                first[word] = position
        return first

    def word_positions(self) -> list[list[int]]:
        """Return, for every word, its sub-word positions."""
        out: list[list[int]] = [[] for _ in self.words]
        for position, word in enumerate(self.word_ids):
            if word is not None:
                out[word].append(position)
        return out


def encode_text(tokenizer: Any, text: str, max_length: int) -> WordEncoding:
    """Split ``text`` into words and encode it as one sequence-classification input.

    Args:
        tokenizer: A fast tokenizer (offsets are needed to map sub-words to words).
        text: The text.
        max_length: Longest input in sub-words; longer texts are truncated.

    Returns:
        The words, their offsets and the encoding.

    Raises:
        DataError: The text is empty or holds no words.
    """
    words = _words_of(tokenizer, text)
    enc = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True)
    starts = [start for _, start, _ in words]
    word_ids: list[int | None] = []
    for start, end in enc["offset_mapping"]:
        index = bisect_right(starts, end - 1) - 1 if end > start else -1
        inside = index >= 0 and words[index][1] <= end - 1 < words[index][2]
        word_ids.append(index if inside else None)
    return WordEncoding(
        text=text,
        words=[w for w, _, _ in words],
        spans=[(s, e) for _, s, e in words],
        input_ids=list(enc["input_ids"]),
        token_type_ids=list(enc["token_type_ids"]) if "token_type_ids" in enc else None,
        word_ids=word_ids,
    )


def encode_tokens(
    tokenizer: Any,
    tokens: list[str],
    max_length: int,
    *,
    text: str | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> WordEncoding:
    """Encode pre-split words as one token-classification input, as training does.

    Args:
        tokenizer: A fast tokenizer.
        tokens: The words.
        max_length: Longest input in sub-words; later words are left out.
        text: The text the words came from; by default they are joined with spaces.
        spans: Each word's offsets in ``text`` (needed when ``text`` is given).

    Returns:
        The words, their offsets and the encoding.

    Raises:
        DataError: There are no words.
    """
    if not tokens:
        raise DataError("there is nothing to analyse: the input has no words")
    if text is None or spans is None:
        text, spans = join_words(tokens)
    enc = tokenizer(tokens, is_split_into_words=True, truncation=True, max_length=max_length)
    return WordEncoding(
        text=text,
        words=list(tokens),
        spans=list(spans),
        input_ids=list(enc["input_ids"]),
        token_type_ids=list(enc["token_type_ids"]) if "token_type_ids" in enc else None,
        word_ids=list(enc.word_ids()),
        pre_split=True,
    )


def join_words(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join words with single spaces and return the text and each word's offsets."""
    spans, position = [], 0
    for token in tokens:
        spans.append((position, position + len(token)))
        position += len(token) + 1
    return " ".join(tokens), spans


def _words_of(tokenizer: Any, text: str) -> list[tuple[str, int, int]]:
    if not isinstance(text, str):
        raise DataError(f"expected a text (str), got {type(text).__name__}")
    words = split_words(tokenizer, text)
    if not words:
        raise DataError(f"there is nothing to analyse: the text is empty (got {text!r})")
    return words
