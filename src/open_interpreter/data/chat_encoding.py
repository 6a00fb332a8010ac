"""Encode conversations for generative fine-tuning, with the loss on the answers only.

A conversation is rendered with the tokenizer's own chat template, so the model sees
exactly the format it will be prompted with. The assistant turns are found as character
spans by rendering the conversation up to each turn (with and without the turn), and only
the sub-words inside those spans are labels; everything else is ``-100``, so the loss
teaches the answers, not the questions. Each span ends with the template's end-of-turn
token, so the model also learns when to stop.

Short examples can be packed together into sequences of up to ``max_length`` sub-words
(fewer, fuller batches). As in classic SFT packing, the examples of one pack attend to
each other; the loss still covers only their answers.
"""

from __future__ import annotations

import logging
from typing import Any

from open_interpreter.data.encoding import IGNORE_INDEX, Feature
from open_interpreter.data.examples import ChatExamples
from open_interpreter.errors import DataError

logger = logging.getLogger(__name__)

DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
"""The template given to tokenizers that have none (base models): ``<|role|>`` headers,
each turn closed by the end-of-sequence token."""


def ensure_chat_template(tokenizer: Any) -> None:
    """Give ``tokenizer`` :data:`DEFAULT_CHAT_TEMPLATE` when it has no chat template.

    The template is saved with the tokenizer, so the fine-tuned model is later prompted
    the way it was trained.
    """
    if not getattr(tokenizer, "chat_template", None):
        logger.info("the tokenizer has no chat template: using Open Interpreter's default one")
        tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE


def render_chat(
    tokenizer: Any, messages: list[dict[str, str]], *, add_generation_prompt: bool
) -> str:
    """Render ``messages`` as text with the tokenizer's chat template.

    Raises:
        DataError: The template rejects the conversation (e.g. roles that do not alternate).
    """
    try:
        return tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )
    except Exception as exc:  # jinja's TemplateError and the template's own raise_exception
        raise DataError(f"the model's chat template rejects this conversation: {exc}") from None


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list]:
    """Render a conversation and find the character span of each assistant turn.

    Returns:
        The rendered text, and ``(start, end)`` character offsets of every assistant turn
        (its content and the template's end-of-turn marker).

    Raises:
        DataError: The template does not render a conversation as the sum of its turns,
            so the answers cannot be told apart from the prompts.
    """
    text = render_chat(tokenizer, messages, add_generation_prompt=False)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = render_chat(tokenizer, messages[:index], add_generation_prompt=True)
        through = render_chat(tokenizer, messages[: index + 1], add_generation_prompt=False)
        if not (text.startswith(before) and text.startswith(through)):
            raise DataError(
                "the model's chat template does not render a conversation turn by turn, so "
                "the assistant's tokens cannot be located; set a simpler tokenizer.chat_template"
            )
        spans.append((len(before), len(through)))
    return text, spans


def encode_chat(
    tokenizer: Any, examples: ChatExamples, max_length: int, *, labelled: bool = True
) -> list[Feature]:
    """Encode conversations, labelling the assistant's tokens only.

    Args:
        tokenizer: A fast tokenizer with a chat template (see :func:`ensure_chat_template`).
        examples: The conversations.
        max_length: Longest sequence in sub-words; longer ones are cut at the end.
        labelled: Attach labels (training and scoring) or not.

    Returns:
        One feature per conversation; those whose answers were cut away entirely are
        left out (with a warning).

    Raises:
        DataError: The template cannot render a conversation, or every example lost its
            answer to ``max_length``.
    """
    features, cut, dropped = [], 0, 0
    for index, messages in enumerate(examples.conversations):
        text, spans = assistant_spans(tokenizer, messages)
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        labels = [
            token if any(a <= start < b for a, b in spans) else IGNORE_INDEX
            for token, (start, _end) in zip(ids, enc["offset_mapping"], strict=True)
        ]
        if len(ids) > max_length:
            cut += 1
            ids, labels = ids[:max_length], labels[:max_length]
        if all(label == IGNORE_INDEX for label in labels):
            dropped += 1
            continue
        features.append(Feature(ids, labels if labelled else None, example=index))
    if cut:
        logger.warning(
            "%d of %d conversations are longer than max_length=%d sub-words and were cut",
            cut,
            len(examples),
            max_length,
        )
    if dropped:
        logger.warning("%d conversations had no answer left within max_length: skipped", dropped)
    if not features:
        raise DataError(f"{examples.source}: no conversation has an answer within max_length")
    return features


def pack(features: list[Feature], max_length: int) -> list[Feature]:
    """Concatenate consecutive features into sequences of at most ``max_length`` sub-words.

    Args:
        features: Labelled causal-LM features (from :func:`encode_chat`).
        max_length: The longest packed sequence.

    Returns:
        Fewer, longer features; each remembers its first example.
    """
    packed: list[Feature] = []
    for feature in features:
        last = packed[-1] if packed else None
        if last is not None and len(last) + len(feature) <= max_length:
            last.input_ids = last.input_ids + feature.input_ids
            last.labels = list(last.labels or []) + list(feature.labels or [])
            continue
        labels = list(feature.labels or [])
        packed.append(Feature(list(feature.input_ids), labels, example=feature.example))
    logger.info("packed %d examples into %d sequences", len(features), len(packed))
    return packed


def encode_seq2seq(
    tokenizer: Any,
    sources: list[str],
    targets: list[str] | None,
    max_length: int,
) -> list[Feature]:
    """Encode input texts (and target texts as labels) for an encoder-decoder model.

    Args:
        tokenizer: The model's fast tokenizer.
        sources: The inputs.
        targets: The outputs to learn, or None for unlabelled inputs.
        max_length: Longest input and longest target in sub-words (longer ones are cut).

    Returns:
        One feature per input, with the target's ids as ``labels``.
    """
    inputs = tokenizer(sources, truncation=True, max_length=max_length)["input_ids"]
    labels: list[Any] = [None] * len(inputs)
    if targets is not None:
        labels = tokenizer(text_target=targets, truncation=True, max_length=max_length)["input_ids"]
        eos = tokenizer.eos_token_id
        # The decoder must learn to stop: end every target with </s> if the tokenizer did not.
        labels = [ids if eos is None or ids[-1:] == [eos] else [*ids, eos] for ids in labels]
    return [
        Feature(input_ids=ids, labels=target, example=index)
        for index, (ids, target) in enumerate(zip(inputs, labels, strict=True))
    ]
