"""Text generation with causal-LM and seq2seq models: answers, batches and streams.

Example:
    >>> from open_interpreter.generation import generate
    >>> generate(model, tokenizer, "What is NER?", GenerationSettings())  # doctest: +SKIP
    'Named-entity recognition finds names of people, places and organisations in text.'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from open_interpreter.config import GenerationSettings
from open_interpreter.generation.generate import (
    Completion,
    TextStream,
    check_streamable,
    complete_texts,
    cut_at_stop,
    generate_texts,
    stream_text,
)
from open_interpreter.generation.prompts import Prompt, is_single_prompt, prompt_texts
from open_interpreter.generation.settings import generation_settings


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Prompt | list[Prompt],
    settings: GenerationSettings,
    *,
    chat: bool | None = None,
    stream: bool = False,
    seed: int | None = None,
    details: bool = False,
) -> str | list[str] | Completion | list[Completion] | Iterator[str]:
    """Answer one prompt or a batch of prompts.

    Args:
        model: A causal-LM or seq2seq model (PEFT models too).
        tokenizer: Its tokenizer.
        prompts: A text, a conversation (list of ``{"role", "content"}`` messages), or a
            list of either.
        settings: Lengths, sampling and stop strings.
        chat: Whether texts go through the chat template (None: when there is one).
        stream: Yield the answer to a single prompt piece by piece.
        seed: Seed for sampling, for reproducible answers.
        details: Answer with :class:`Completion` objects (the text, why it ended, token
            counts) instead of texts.

    Returns:
        The answer for one prompt, a list of answers for a list, or an iterator of text
        pieces with ``stream=True`` (a :class:`TextStream`, whose ``completion`` is set
        once it is read to the end).

    Raises:
        DataError: A prompt is empty or malformed.
        ConfigError: ``stream=True`` with several prompts.
    """
    import torch

    single = is_single_prompt(prompts)
    batch = [prompts] if single else list(prompts)  # type: ignore[list-item]
    texts = prompt_texts(
        tokenizer, batch, chat=chat, encoder_decoder=model.config.is_encoder_decoder
    )
    if seed is not None:
        torch.manual_seed(seed)
    if stream:
        check_streamable(texts)
        return stream_text(model, tokenizer, texts[0], settings)
    answers = complete_texts(model, tokenizer, texts, settings) if texts else []
    results = answers if details else [answer.text for answer in answers]
    return results[0] if single else results


__all__ = [
    "Completion",
    "Prompt",
    "TextStream",
    "complete_texts",
    "cut_at_stop",
    "generate",
    "generate_texts",
    "generation_settings",
    "is_single_prompt",
    "prompt_texts",
    "stream_text",
]
