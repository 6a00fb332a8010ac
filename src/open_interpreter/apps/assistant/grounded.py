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

import os
import random
import re
from collections.abc import Sequence
from pathlib import Path
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
    def load(cls, name: str | os.PathLike[str] = DEFAULT_WRITER, **options: Any) -> GroundedWriter:
        """Load a chat model by name, or a saved model or LoRA adapter directory (such as
        :func:`train_chat_adapter` writes), through the platform's bundle (offline first)."""
        from open_interpreter.bundle import ModelBundle

        if ModelBundle.is_saved(name):
            bundle = ModelBundle.load(name)
        else:
            bundle = ModelBundle(model_name=str(name))
        bundle.ensure_language_model()
        return cls(bundle.model, bundle.tokenizer, **options)

    def write(self, question: str, passages: Sequence[str]) -> str:
        """An answer to ``question`` from ``passages`` (greedy decoding)."""
        from open_interpreter.generation import generate

        prompt = messages(question, passages)
        return str(generate(self.model, self.tokenizer, prompt, self.settings)).strip()


def messages(question: str, passages: Sequence[str]) -> list[dict[str, str]]:
    """The chat the writer answers (and the chat adapter learns): the numbered passages
    in the system message, the question as the user's."""
    numbered = "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
    return [
        {"role": "system", "content": SYSTEM.format(passages=numbered)},
        {"role": "user", "content": question},
    ]


CHAT_SFT_SETTINGS: dict[str, Any] = {
    "task": "causal-lm", "epochs": 1, "learning_rate": 2e-3, "batch_size": 8,
    "max_length": 384, "peft": {"method": "lora", "r": 8, "alpha": 16},
    "validation_split": 0.0, "progress": False, "seed": 13,
    "generation": {"eval_examples": 0}, "eval_every_epoch": False,
}  # fmt: skip
"""The chat adapter's fine-tuning settings: LoRA r=8 on the attention projections, one
epoch, conversations cut at 384 sub-words (three passages and an answer fit)."""


def chat_examples(
    entries: Sequence[Any],
    questions: Sequence[int],
    retriever: Any,
    *,
    passages: int = 3,
    seed: int = 13,
) -> list[dict[str, Any]]:
    """One chat per training question: the ``passages`` best fused answers in the system
    message (the question's own answer put in at a seeded place when retrieval missed it,
    so the model learns to answer *from* a passage), its own answer as the reply.

    Args:
        entries: The knowledge base; ``retriever`` indexes their answers row for row.
        questions: The entries whose questions to learn (the train split only).
        retriever: A :class:`~open_interpreter.apps.assistant.retrieval.HybridRetriever`.
        passages: Passages per chat (as the writer is given at question time).
        seed: Where a missing answer goes.
    """
    rng = random.Random(seed)
    chats = []
    for index in questions:
        question = entries[index].text
        found = [h.index for h in retriever.search(question, passages)]
        if index not in found:
            found[rng.randrange(len(found))] = index
        chat = messages(question, [entries[i].answer for i in found])
        chat.append({"role": "assistant", "content": entries[index].answer})
        chats.append({"messages": chat})
    return chats


def train_chat_adapter(
    entries: Sequence[Any],
    questions: Sequence[int],
    retriever: Any,
    *,
    model: str = DEFAULT_WRITER,
    passages: int = 3,
    output_dir: str | os.PathLike[str] | None = None,
    **settings: Any,
) -> tuple[GroundedWriter, Any]:
    """Train a LoRA chat adapter on the knowledge base's question -> answer pairs with the
    platform's chat SFT (:func:`open_interpreter.training.recipe.fine_tune`, causal LM, loss
    on the answers only), from :func:`chat_examples`.

    Args:
        entries: The knowledge base.
        questions: Indices of the questions to learn (a train split).
        retriever: Hybrid retrieval over the entries' answers.
        model: The chat model the adapter is for.
        passages: Passages per training chat.
        output_dir: Where to save the adapter (None: not saved).
        **settings: Overrides of :data:`CHAT_SFT_SETTINGS`.

    Returns:
        A writer with the adapter, and the recipe's :class:`FineTuneResult`.
    """
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.training.recipe import fine_tune

    chats = chat_examples(entries, questions, retriever, passages=passages)
    config = FineTuneConfig(model=model).updated(
        **{**CHAT_SFT_SETTINGS, **settings},
        output_dir=str(Path(output_dir)) if output_dir else None,
    )
    bundle = ModelBundle(model_name=model, config=config)
    result = fine_tune(bundle, chats)
    bundle.model.eval()
    return GroundedWriter(bundle.model, bundle.tokenizer), result


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` without common function words."""
    return {w for w in _CONTENT.findall(text.lower()) if w not in _STOP}


def support(answer: str, passage: str) -> float:
    """The share of the answer's content words found in the passage (1.0 for no words)."""
    words = content_words(answer)
    return len(words & content_words(passage)) / len(words) if words else 1.0


SUPPORTED_AT = 0.8
"""An answer counts as supported when at least this share of its content words is in one
cited passage (:func:`support`)."""
_UNKNOWN = re.compile(r"\b(do not|don't|cannot|can't) (know|answer|find)|not (mentioned|provided)")


def says_unknown(answer: str) -> bool:
    """Whether a written answer declines ("I do not know", "...not mentioned...")."""
    return bool(_UNKNOWN.search(answer.lower()))
