"""A monitor's settings: its windows, alias table, alert rules and webhooks — one pydantic
object, stored with the monitor and given as Python keywords or a JSON/YAML file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from open_interpreter.services.webhooks import Webhook

RuleKind = Literal["threshold", "zscore", "adwin", "page-hinkley"]
Metric = Literal["mean_sentiment", "share_negative", "volume"]
REGISTERED_MODEL = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[0-9]{1,9})?$"
"""A registered model, optionally ``@version``: ``banks-sentiment@3``."""


class Rule(BaseModel):
    """An alert rule over the series whose key matches ``keys``.

    ``threshold`` and ``zscore`` look at each closed window of a series; ``adwin`` and
    ``page-hinkley`` (river's change detectors) see each document's sentiment in turn.
    """

    model_config = {"extra": "forbid"}

    name: str = Field(
        ...,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f]+$",
        description="Names the rule in alerts (no control characters).",
    )
    kind: RuleKind = Field(..., description="threshold, zscore, adwin or page-hinkley.")
    keys: str = Field(
        "entity:*", max_length=300, description="Series keys it watches (shell pattern)."
    )
    metric: Metric = Field(
        "share_negative", description="Threshold and z-score: the window metric watched."
    )
    above: float | None = Field(None, description="Threshold: alert when the metric exceeds it.")
    below: float | None = Field(None, description="Threshold: alert when the metric is under it.")
    z: float = Field(3.0, gt=0, description="Z-score: how many standard deviations is unusual.")
    baseline: int = Field(
        12, ge=3, le=1000, description="Z-score: earlier windows the baseline is made of."
    )
    direction: Literal["up", "down", "both"] = Field(
        "down",
        description="Z-score and detectors: which change alerts (of the metric, or of "
        "sentiment for detectors); down = sentiment falls / metric falls.",
    )
    delta: float = Field(
        0.002, gt=0, lt=1, description="ADWIN: confidence; Page–Hinkley: tolerated change."
    )
    threshold: float = Field(
        20.0, gt=0, description="Page–Hinkley: cumulative deviation that signals a change."
    )
    min_volume: int = Field(5, ge=1, description="Windows with fewer documents are skipped.")
    cooldown_minutes: float = Field(
        120, ge=0, description="No second alert of this rule on one series within this time."
    )

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.kind == "threshold" and self.above is None and self.below is None:
            raise ValueError(f"threshold rule {self.name!r} needs above or below")
        return self


class MonitorSettings(BaseModel):
    """Everything a monitor is set up with."""

    model_config = {"extra": "forbid"}

    window_minutes: int = Field(60, ge=1, le=10080, description="Length of a series window.")
    step_minutes: int = Field(10, ge=1, le=10080, description="A window closes every step.")
    aliases: dict[str, Any] = Field(
        default_factory=dict,
        description='Alias table: {"Apple": {"type": "company", "aliases": ["AAPL"]}}.',
    )
    rules: list[Rule] = Field(default_factory=list, description="Alert rules.")
    webhooks: list[Webhook] = Field(default_factory=list, description="Alert receivers.")
    ner_model: str | None = Field(
        None,
        description="A token-classification model to find entities with, besides the "
        "alias table's gazetteer (a saved model's directory or name).",
    )
    topics: bool = Field(True, description="Classify each document's topic.")
    sentiment: Literal["model", "lexicon"] = Field(
        "model",
        description="model: the fine-tuned sentiment classifier (trained once, cached); "
        "lexicon: the Loughran–McDonald dictionary alone (no model, no topics).",
    )
    sentiment_model: str | None = Field(
        None,
        max_length=120,
        pattern=REGISTERED_MODEL,
        description="A registered sentiment classifier (name@version, or a name: its "
        "production version, else the latest) used instead of the cached one; a "
        "monitor-classifier job sets it.",
    )
    topic_model: str | None = Field(
        None,
        max_length=120,
        pattern=REGISTERED_MODEL,
        description="A registered topic classifier (name@version or a name), as above.",
    )

    @model_validator(mode="after")
    def _check(self) -> MonitorSettings:
        if self.window_minutes % self.step_minutes:
            raise ValueError(
                f"window_minutes must be a multiple of step_minutes, got "
                f"{self.window_minutes=} {self.step_minutes=}"
            )
        if _holds_nul(self.aliases):
            raise ValueError("the alias table may not hold a NUL character")
        if self.sentiment == "lexicon" and self.topic_model:
            raise ValueError(
                "a monitor with sentiment 'lexicon' classifies no topics, so it takes no "
                "topic_model: use sentiment 'model'"
            )
        names = [rule.name for rule in self.rules]
        if len(names) != len(set(names)):
            raise ValueError(f"rule names must be unique, got {names}")
        return self


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character is anywhere in ``value`` (keys, strings, nested)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False
