"""What a word may be replaced with: neighbours in the model's own embedding space, and
entities of the same type seen in training.

No external word list is used. Neighbours are the whole-word vocabulary entries whose input
embeddings are closest (cosine) to the word's; they are often synonyms or inflections,
sometimes antonyms ("good" / "bad" share contexts), which is why a substitution can change
a text's true label and the report says which examples changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import torch

from open_interpreter.data.examples import TokenExamples
from open_interpreter.tasks.token_classification import entities_from_tags

# Markers that byte-level BPE (GPT-2, RoBERTa) and SentencePiece put on word-initial pieces.
_WORD_START = ("Ġ", "▁")


class EmbeddingNeighbours:
    """Nearest whole-word vocabulary entries to a word in the model's input embeddings.

    Args:
        tokenizer: The model's fast tokenizer.
        embeddings: The input embedding matrix, ``[vocabulary, hidden]``.

    Example:
        >>> neighbours = EmbeddingNeighbours.of_model(model, tokenizer)  # doctest: +SKIP
        >>> neighbours.words("good", 3)  # doctest: +SKIP
        ['great', 'bad', 'nice']
    """

    def __init__(self, tokenizer: Any, embeddings: torch.Tensor):
        size = min(len(tokenizer), embeddings.shape[0])
        tokens = tokenizer.convert_ids_to_tokens(list(range(size)))
        special = set(getattr(tokenizer, "all_special_ids", []))
        self._marker = next(
            (m for m in _WORD_START if sum(t.startswith(m) for t in tokens) > size // 10), ""
        )
        self._lowercase = _lowercases(tokenizer)
        self.ids = [
            i
            for i, token in enumerate(tokens)
            if i not in special
            and token.startswith(self._marker)
            and _is_word(token[len(self._marker) :])
        ]
        self._row = {token_id: row for row, token_id in enumerate(self.ids)}
        self._tokens = tokens
        self._vocab = {tokens[i]: i for i in self.ids}
        self._cache: dict[tuple[int, int], tuple[int, ...]] = {}
        vectors = embeddings[self.ids].detach().float()
        self._unit = vectors / vectors.norm(dim=-1, keepdim=True).clamp_min(1e-8)

    @classmethod
    def of_model(cls, model: Any, tokenizer: Any) -> EmbeddingNeighbours:
        """Build the neighbour index of ``model``'s input embeddings."""
        return cls(tokenizer, model.get_input_embeddings().weight)

    def token_id(self, word: str) -> int | None:
        """Return the vocabulary id of ``word`` when it is one whole-word entry, else None."""
        return self._vocab.get(self._marker + (word.lower() if self._lowercase else word))

    def neighbour_ids(self, token_id: int, k: int = 10) -> tuple[int, ...]:
        """Return the ``k`` whole-word ids nearest to ``token_id`` (itself excluded)."""
        row = self._row.get(token_id)
        if row is None:
            return ()
        if (token_id, k) not in self._cache:
            similarity = self._unit @ self._unit[row]
            similarity[row] = -2.0
            best = torch.topk(similarity, min(k, len(self.ids) - 1)).indices.tolist()
            self._cache[token_id, k] = tuple(self.ids[i] for i in best)
        return self._cache[token_id, k]

    def word(self, token_id: int, like: str = "") -> str:
        """Return the word of ``token_id``, in the case pattern of ``like`` for uncased models."""
        word = self._tokens[token_id][len(self._marker) :]
        return match_case(word, like) if self._lowercase and like else word

    def words(self, word: str, k: int = 5) -> list[str]:
        """Return up to ``k`` neighbours of ``word`` (none when it is not a whole-word entry)."""
        token_id = self.token_id(word)
        if token_id is None:
            return []
        return [self.word(i, like=word) for i in self.neighbour_ids(token_id, k)]


def _lowercases(tokenizer: Any) -> bool:
    """Whether the tokenizer lower-cases its input (uncased models)."""
    normalizer = getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None)
    if normalizer is not None:
        return normalizer.normalize_str("Ab") == "ab"
    return bool(getattr(tokenizer, "do_lower_case", False))


def _is_word(text: str) -> bool:
    return len(text) >= 2 and text.isalpha()


def match_case(word: str, like: str) -> str:
    """Return ``word`` in the case pattern of ``like`` (UPPER, Title or lower)."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@dataclass
class EntityInventory:
    """Entities seen in some data, by type: what an entity swap draws from.

    Attributes:
        by_type: Per entity type, the distinct entities as (words, tags) pairs.
        source: Where the entities came from, for the report.
    """

    by_type: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)
    source: str = "data"

    @classmethod
    def from_examples(cls, examples: TokenExamples) -> EntityInventory:
        """Collect every distinct entity of every type in tagged ``examples`` (IOB2)."""
        found: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        for tokens, tags in zip(examples.tokens, examples.tags or [], strict=False):
            for kind, a, b, _ in entities_from_tags(list(tags), [0.0] * len(tags)):
                found.setdefault(kind, {}).setdefault(tuple(tokens[a:b]), tuple(tags[a:b]))
        by_type = {kind: sorted(items.items()) for kind, items in sorted(found.items())}
        return cls(by_type=by_type, source=examples.source)

    def draw(
        self, kind: str, unlike: tuple[str, ...], rng: random.Random
    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """Draw an entity of type ``kind`` other than ``unlike``, or None if there is none."""
        choices = [item for item in self.by_type.get(kind, []) if item[0] != unlike]
        return rng.choice(choices) if choices else None
