"""Turn what a user asks a generative model into token ids: a text, or a list of messages.

A text goes to a chat model through its chat template, as the single user message of a
new conversation (``chat=None``, the default, does so whenever the tokenizer has a chat
template); a list of ``{"role", "content"}`` messages always does. Seq2seq models and
base models without a template get the text as it is.
"""

from __future__ import annotations

from typing import Any

from open_interpreter.data.chat import checked_messages
from open_interpreter.data.chat_encoding import ensure_chat_template, render_chat
from open_interpreter.errors import DataError

Prompt = str | list[dict[str, str]]
"""One prompt: a text, or a conversation (a list of ``{"role", "content"}`` messages)."""


def is_single_prompt(prompts: Any) -> bool:
    """Whether ``prompts`` is one prompt (a text or one conversation) rather than a batch."""
    if isinstance(prompts, str):
        return True
    return isinstance(prompts, list) and bool(prompts) and isinstance(prompts[0], dict)


def prompt_texts(
    tokenizer: Any, prompts: list[Any], *, chat: bool | None, encoder_decoder: bool
) -> list[str]:
    """Render each prompt as the text the model continues.

    Args:
        tokenizer: The model's tokenizer.
        prompts: Texts and/or conversations.
        chat: True: always use the chat template; False: never (texts only); None:
            when the tokenizer has one and the model is not an encoder-decoder.
        encoder_decoder: Whether the model is a seq2seq model (no chat template).

    Returns:
        One text per prompt, ending where the answer is to begin.

    Raises:
        DataError: A prompt is empty or not a text / message list, a message is malformed,
            or conversations are given to a model that cannot take them.
    """
    use_template = (
        chat if chat is not None else bool(getattr(tokenizer, "chat_template", None))
    ) and not encoder_decoder
    texts = []
    for index, prompt in enumerate(prompts):
        where = f"prompt {index}" if len(prompts) > 1 else "the prompt"
        if isinstance(prompt, str):
            if not prompt.strip():
                raise DataError(f"{where} is empty")
            if not use_template:
                texts.append(prompt)
                continue
            prompt = [{"role": "user", "content": prompt}]
        if not isinstance(prompt, list):
            raise DataError(
                f"{where} is a {type(prompt).__name__}; expected a text or a list of "
                "{'role': ..., 'content': ...} messages"
            )
        if encoder_decoder:
            raise DataError(f"{where} is a conversation, but a seq2seq model takes plain text")
        try:
            messages = checked_messages(prompt)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        ensure_chat_template(tokenizer)
        texts.append(render_chat(tokenizer, messages, add_generation_prompt=True))
    return texts
