"""Generate text with a causal-LM or seq2seq model: whole answers, batches, or a stream.

Batches are left-padded for decoder-only models, so every prompt ends where its answer
begins. Stop strings end generation through ``transformers``' own stopping criterion and
are cut from the answer. A stream runs ``model.generate`` in a thread with a
``TextIteratorStreamer`` and yields text as it is produced, holding back only what could
be the beginning of a stop string.

Each answer also says how it ended (:class:`Completion`): ``"stop"`` when the model ended
it or a stop string did, ``"length"`` when ``max_new_tokens`` cut it, with the token
counts of the prompt and the answer.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from open_interpreter.config import GenerationSettings
from open_interpreter.errors import ConfigError


@dataclass(frozen=True)
class Completion:
    """One generated answer and how it ended.

    Attributes:
        text: The answer, without the prompt, special tokens and stop strings.
        finish_reason: ``"stop"`` (the model or a stop string ended it) or ``"length"``
            (``max_new_tokens`` cut it).
        prompt_tokens: Tokens in the prompt.
        completion_tokens: Tokens generated (up to and including an end-of-text token).
    """

    text: str
    finish_reason: Literal["stop", "length"]
    prompt_tokens: int
    completion_tokens: int

    def __str__(self) -> str:
        return self.text


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
    return [c.text for c in complete_texts(model, tokenizer, texts, settings)]


def complete_texts(
    model: Any, tokenizer: Any, texts: list[str], settings: GenerationSettings
) -> list[Completion]:
    """Like :func:`generate_texts`, with how each answer ended and its token counts."""
    import torch

    inputs = _encode(model, tokenizer, texts)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            output = model.generate(**inputs, **generation_kwargs(tokenizer, settings))
    finally:
        model.train(was_training)
    return _read_output(model, tokenizer, inputs, output, settings)


def _read_output(
    model: Any, tokenizer: Any, inputs: dict[str, Any], output: Any, settings: GenerationSettings
) -> list[Completion]:
    """One :class:`Completion` per row of ``model.generate``'s output."""
    if model.config.is_encoder_decoder:
        output = output[:, 1:]  # the decoder's start token
    else:
        output = output[:, inputs["input_ids"].shape[1] :]
    prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
    return [
        _completion(model, tokenizer, row.tolist(), int(length), settings)
        for row, length in zip(output, prompt_tokens, strict=True)
    ]


def _end_ids(model: Any, tokenizer: Any) -> set[int]:
    """The token ids that end an answer (the model's end-of-text ids)."""
    config = getattr(model, "generation_config", None)
    ids = getattr(config, "eos_token_id", None)
    if ids is None:
        ids = tokenizer.eos_token_id
    return set(ids if isinstance(ids, list) else [ids] if ids is not None else [])


def _completion(
    model: Any, tokenizer: Any, tokens: list[int], prompt_tokens: int, settings: GenerationSettings
) -> Completion:
    """Read one generated row: where it ended, why, and what it says."""
    ends = _end_ids(model, tokenizer)
    end = next((i for i, token in enumerate(tokens) if token in ends), None)
    if end is not None:
        tokens, reason = tokens[: end + 1], "stop"
    else:
        pad = tokenizer.pad_token_id
        while tokens and tokens[-1] == pad:  # a batch pads answers that ended early
            tokens = tokens[:-1]
        full = len(tokens) >= settings.max_new_tokens
        raw = tokenizer.decode(tokens, skip_special_tokens=True)
        stopped = any(s and s in raw for s in settings.stop)
        reason = "length" if full and not stopped else "stop"
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    return Completion(
        text=cut_at_stop(text, settings.stop).strip(),
        finish_reason=reason,  # type: ignore[arg-type]
        prompt_tokens=prompt_tokens,
        completion_tokens=len(tokens),
    )


def stream_text(model: Any, tokenizer: Any, text: str, settings: GenerationSettings) -> TextStream:
    """Yield the answer to one prompt text in pieces, as the model produces them.

    Args:
        model: A causal-LM or seq2seq model.
        tokenizer: Its tokenizer.
        text: The prompt text.
        settings: Lengths, sampling and stop strings.

    Returns:
        An iterator of text pieces; joined, they are the answer. Once every piece is
        read, its ``completion`` says how the answer ended.

    Raises:
        Exception: Whatever ``model.generate`` raised in its thread, re-raised here.
    """
    return TextStream(model, tokenizer, text, settings)


class TextStream(Iterator[str]):
    """The pieces of one answer, as the model produces them (see :func:`stream_text`).

    Attributes:
        completion: How the answer ended and its token counts; None until every piece
            has been read.
    """

    def __init__(self, model: Any, tokenizer: Any, text: str, settings: GenerationSettings):
        self.completion: Completion | None = None
        self._pieces = self._generate(model, tokenizer, text, settings)

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def _generate(
        self, model: Any, tokenizer: Any, text: str, settings: GenerationSettings
    ) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        inputs = _encode(model, tokenizer, [text])
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        output: list[Any] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    output.append(
                        model.generate(
                            **inputs, **generation_kwargs(tokenizer, settings), streamer=streamer
                        )
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
        self.completion = _read_output(model, tokenizer, inputs, output[0], settings)[0]


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
