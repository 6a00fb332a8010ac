"""Generate text with a causal-LM or seq2seq model: whole answers, batches, or a stream.

Batches are left-padded for decoder-only models, so every prompt ends where its answer
begins. Stop strings end generation through ``transformers``' own stopping criterion and
are cut from the answer. A stream runs ``model.generate`` in a thread with a
``TextIteratorStreamer`` and yields text as it is produced, holding back only what could
be the beginning of a stop string.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from open_interpreter.config import GenerationSettings
from open_interpreter.errors import ConfigError


def generation_kwargs(tokenizer: Any, settings: GenerationSettings) -> dict[str, Any]:
    """The ``model.generate`` arguments for ``settings`` (greedy when temperature is 0)."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": settings.max_new_tokens,
        "repetition_penalty": settings.repetition_penalty,
        "pad_token_id": tokenizer.pad_token_id,
        "do_sample": settings.temperature > 0,
    }
    if settings.temperature > 0:
        kwargs.update(temperature=settings.temperature, top_p=settings.top_p, top_k=settings.top_k)
    else:  # keep the model's sampling defaults from warning that they are unused
        kwargs.update(temperature=None, top_p=None, top_k=None)
    if settings.stop:
        kwargs.update(stop_strings=list(settings.stop), tokenizer=tokenizer)
    return kwargs


def cut_at_stop(text: str, stop: list[str]) -> str:
    """Cut ``text`` at the first stop string it contains (the stop string is dropped)."""
    cuts = [text.find(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


@contextlib.contextmanager
def _left_padding(tokenizer: Any, enabled: bool) -> Iterator[None]:
    side = tokenizer.padding_side
    if enabled:
        tokenizer.padding_side = "left"
    try:
        yield
    finally:
        tokenizer.padding_side = side


def _encode(model: Any, tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    decoder_only = not model.config.is_encoder_decoder
    with _left_padding(tokenizer, decoder_only):
        # The chat template already holds the special tokens a conversation needs.
        special = not (decoder_only and getattr(tokenizer, "chat_template", None))
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=special)
    device = next(model.parameters()).device
    return {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}


def generate_texts(
    model: Any, tokenizer: Any, texts: list[str], settings: GenerationSettings
) -> list[str]:
    """Generate one answer per prompt text, in one batch.

    Args:
        model: A causal-LM or seq2seq model (a PEFT model too).
        tokenizer: Its tokenizer.
        texts: Prompt texts (already rendered with the chat template where one is used).
        settings: Lengths, sampling and stop strings.

    Returns:
        The answers, without the prompts, special tokens and stop strings.
    """
    import torch

    inputs = _encode(model, tokenizer, texts)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            output = model.generate(**inputs, **generation_kwargs(tokenizer, settings))
    finally:
        model.train(was_training)
    if not model.config.is_encoder_decoder:
        output = output[:, inputs["input_ids"].shape[1] :]
    answers = tokenizer.batch_decode(output, skip_special_tokens=True)
    return [cut_at_stop(answer, settings.stop).strip() for answer in answers]


def stream_text(
    model: Any, tokenizer: Any, text: str, settings: GenerationSettings
) -> Iterator[str]:
    """Yield the answer to one prompt text in pieces, as the model produces them.

    Args:
        model: A causal-LM or seq2seq model.
        tokenizer: Its tokenizer.
        text: The prompt text.
        settings: Lengths, sampling and stop strings.

    Returns:
        An iterator of text pieces; joined, they are the answer.

    Raises:
        Exception: Whatever ``model.generate`` raised in its thread, re-raised here.
    """
    import torch
    from transformers import TextIteratorStreamer

    inputs = _encode(model, tokenizer, [text])
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with torch.inference_mode():
                model.generate(
                    **inputs, **generation_kwargs(tokenizer, settings), streamer=streamer
                )
        except BaseException as exc:  # handed to the consumer's thread below
            failure.append(exc)
            streamer.end()

    model.eval()
    thread = threading.Thread(target=run, name="oi-generate", daemon=True)
    thread.start()
    try:
        yield from _until_stop(streamer, settings.stop)
    finally:
        thread.join()
    if failure:
        raise failure[0]


def _until_stop(pieces: Iterator[str], stop: list[str]) -> Iterator[str]:
    """Pass pieces through until a stop string appears; hold back a possible stop prefix."""
    stop = [s for s in stop if s]
    pending = ""
    for piece in pieces:
        pending += piece
        if any(s in pending for s in stop):
            if head := cut_at_stop(pending, stop):
                yield head
            for _ in pieces:  # let the generating thread finish
                pass
            return
        keep = max((_overlap(pending, s) for s in stop), default=0)
        if len(pending) > keep:
            yield pending[: len(pending) - keep]
            pending = pending[len(pending) - keep :]
    if pending:
        yield pending


def _overlap(text: str, stop: str) -> int:
    """Length of the longest end of ``text`` that begins ``stop``."""
    longest = min(len(text), len(stop) - 1)
    return next((n for n in range(longest, 0, -1) if stop.startswith(text[-n:])), 0)


def check_streamable(prompts: list[Any]) -> None:
    """Raise unless exactly one prompt is to be streamed.

    Raises:
        ConfigError: ``stream=True`` with several prompts.
    """
    if len(prompts) != 1:
        raise ConfigError(f"stream=True streams one prompt at a time, got {len(prompts)}")
