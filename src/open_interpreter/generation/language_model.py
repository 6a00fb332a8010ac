"""A pretrained model used as it is, to generate text: its task and its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from open_interpreter.config import GenerationSettings
from open_interpreter.errors import ConfigError

if TYPE_CHECKING:
    from open_interpreter.tasks import Task


def language_task(model: Any) -> Task:
    """The generative task a pretrained language model does as it is loaded: seq2seq for an
    encoder-decoder, causal-LM otherwise.

    Raises:
        ModelStateError: The model cannot generate text (an encoder or a classifier).
    """
    from open_interpreter.tasks import get_task

    encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
    task = get_task("seq2seq" if encoder_decoder else "causal-lm")
    task.check_model(model)
    return task


def generation_settings(defaults: GenerationSettings, **overrides: Any) -> GenerationSettings:
    """``defaults`` with every override that is not None, validated.

    Raises:
        ConfigError: A setting is out of range.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return GenerationSettings.model_validate({**defaults.model_dump(), **given})
    except ValueError as exc:
        raise ConfigError(f"generate(): {exc}") from None
