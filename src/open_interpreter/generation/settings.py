"""The settings of one generation: the model's defaults with the caller's overrides."""

from __future__ import annotations

from typing import Any

from open_interpreter.config import GenerationSettings
from open_interpreter.errors import ConfigError


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
