"""Grounded answers: a chat model composes an answer from the retrieved passages only.

The passages go into the system message, numbered; the model is told to answer from
them and to say it does not know otherwise. Generation is greedy (reproducible) through
the platform's :func:`open_interpreter.generation.generate`. :func:`support` is the
automatic groundedness check the benchmark uses: the share of an answer's content words
that appear in the passage it cites.

Example:
    >>> writer = GroundedWriter.load("smollm2-135m-instruct")  # doctest: +SKIP
    >>> writer.write("How long does a permit take?", ["The processing time is 10 weeks."])
    ... # doctest: +SKIP
    'The processing time is 10 weeks.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from open_interpreter.config import GenerationSettings

DEFAULT_WRITER = "smollm2-135m-instruct"
SYSTEM = (
    "You are a customer-support assistant. Answer the customer's question using only the "
    "numbered passages below, in one to three sentences. If the passages do not answer "
    "it, say that you do not know.\n\n{passages}"
)
_CONTENT = re.compile(r"[a-z0-9]+")
_FUNCTION_WORDS = (
    "a an and are as at be by can do does for from has have how i if in is it its may of on "
    "or that the their there this to was what when which who will with you your"
)
_STOP = frozenset(_FUNCTION_WORDS.split())


class GroundedWriter:
    """A chat model that writes an answer from passages.

    Args:
        model: A causal language model.
        tokenizer: Its tokenizer (with a chat template).
        max_new_tokens: Longest answer, in tokens.
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_new_tokens: int = 96):
        self.model, self.tokenizer = model, tokenizer
        self.settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=0.0)

    @classmethod
    def load(cls, name: str = DEFAULT_WRITER, **options: Any) -> GroundedWriter:
        """Load a chat model by name through the platform's bundle (offline first)."""
        from open_interpreter.bundle import ModelBundle

        bundle = ModelBundle(model_name=name)
        bundle.ensure_language_model()
        return cls(bundle.model, bundle.tokenizer, **options)

    def write(self, question: str, passages: Sequence[str]) -> str:
        """An answer to ``question`` from ``passages`` (greedy decoding)."""
        from open_interpreter.generation import generate

        numbered = "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
        messages = [
            {"role": "system", "content": SYSTEM.format(passages=numbered)},
            {"role": "user", "content": question},
        ]
        return str(generate(self.model, self.tokenizer, messages, self.settings)).strip()


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` without common function words."""
    return {w for w in _CONTENT.findall(text.lower()) if w not in _STOP}


def support(answer: str, passage: str) -> float:
    """The share of the answer's content words found in the passage (1.0 for no words)."""
    words = content_words(answer)
    return len(words & content_words(passage)) / len(words) if words else 1.0
