"""The configuration of a prompt evaluation: data, models, templates, verbalizers and runs.

One YAML file per data set (see ``examples/prompts/``). Any run field may be a list: the
run is expanded into every combination, so ``{strategy: few-shot, k: [4, 8], selection:
[random, nearest]}`` is four rows. ``oi prompt eval`` takes ``key=value`` overrides as
``oi train`` does (``dev_size=50``).

Example:
    >>> config = PromptEvalConfig.build({"name": "toy", "data": "toy.csv",
    ...     "runs": [{"strategy": "zero-shot", "calibrate": [False, True]}]})
    >>> [run.label for run in config.expanded_runs()]
    ['LM zero-shot', 'LM zero-shot + calibration']
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from open_interpreter.config import (
    Precision,
    describe_validation_error,
    read_settings,
    validated,
)
from open_interpreter.prompting.demonstrations import Order, Selection
from open_interpreter.prompting.scoring import Reduce

Strategy = Literal["majority", "embedding", "zero-shot", "few-shot"]
LIBRARY_PREFIX = "library:"


class PromptRun(BaseModel):
    """One row of the table: a strategy and its settings."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = Field(
        description="majority (the training split's most frequent label), embedding "
        "(cosine to label descriptions), zero-shot or few-shot (LM scoring of verbalizers)."
    )
    template: str | None = Field(
        None, description="A key of `templates`, or library:NAME[@VERSION]; default: built in."
    )
    verbalizer: str | None = Field(
        None, description="A key of `verbalizers`; default: each label says itself."
    )
    calibrate: bool = Field(False, description="Contextual calibration on content-free inputs.")
    k: int = Field(4, ge=1, description="Demonstrations per prompt (few-shot).")
    selection: Selection = Field("random", description="random, balanced or nearest.")
    order: Order | None = Field(None, description="Demonstration order (default per selection).")
    reduce: Reduce = Field("sum", description="Sum or mean of a word's token log-probs.")
    name: str | None = Field(None, description="The row's name; default: from the settings.")

    @model_validator(mode="after")
    def _check(self) -> PromptRun:
        lm = self.strategy in ("zero-shot", "few-shot")
        if not lm and (self.template or self.verbalizer or self.calibrate):
            raise ValueError(f"{self.strategy} runs take no template, verbalizer or calibration")
        return self

    @property
    def label(self) -> str:
        """The row's name in the table."""
        if self.name:
            return self.name
        base = {
            "majority": "majority class",
            "embedding": "embedding zero-shot",
            "zero-shot": "LM zero-shot",
            "few-shot": f"LM {self.k}-shot {self.selection}",
        }[self.strategy]
        return base + (" + calibration" if self.calibrate else "")

    def settings(self) -> dict[str, Any]:
        """The fields that shape the row's predictions (name excluded)."""
        settings = self.model_dump(exclude={"name"})
        if self.strategy != "few-shot":
            settings.update(k=None, selection=None, order=None)
        return settings


class PromptEvalConfig(BaseModel):
    """A prompt evaluation on one labelled data set."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The data set's name in tables and output files.")
    data: str = Field(description="A file (CSV, TSV, JSONL) or package:NAME.")
    text_column: str = Field("text", description="Column holding the text.")
    label_column: str = Field("label", description="Column holding the label.")
    deduplicate: bool = Field(False, description="Keep one example per text before splitting.")
    dev_fraction: float = Field(0.2, gt=0, lt=1, description="Share held out as the dev split.")
    dev_size: int | None = Field(200, ge=1, description="Seeded subset of the dev split scored.")
    pool_size: int | None = Field(
        500, ge=1, description="Seeded subset of the rest that demonstrations come from."
    )
    seed: int = Field(0, description="Seed of the split, the subsets and every random choice.")
    model: str = Field("smollm2-135m-instruct", description="The language model.")
    precision: Precision = Field(
        "auto",
        description="auto: the language model runs in bf16 autocast where the CPU "
        "or GPU computes bf16 natively (about 2.5x faster), else fp32.",
    )
    encoder: str = Field("minilm-l6", description="The sentence encoder.")
    max_words: int | None = Field(100, ge=1, description="Words of each input every method sees.")
    demo_words: int | None = Field(40, ge=1, description="Words of each demonstration shown.")
    batch_size: int = Field(8, ge=1, description="Prompts per forward pass.")
    num_threads: int | None = Field(
        None, gt=0, description="CPU threads for torch (default: all cores; 1 on a busy machine)."
    )
    resamples: int = Field(1000, ge=1, description="Bootstrap resamples for the intervals.")
    descriptions: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Label → description(s) for embedding zero-shot."
    )
    verbalizers: dict[str, dict[str, str | list[str]]] = Field(
        default_factory=dict, description="Name → {label: word or words}."
    )
    templates: dict[str, str | dict[str, str]] = Field(
        default_factory=dict, description="Name → Jinja2 text, or {text, system}."
    )
    runs: list[dict[str, Any]] = Field(description="Rows to score; list values expand.")

    @model_validator(mode="after")
    def _check(self) -> PromptEvalConfig:
        runs = self.expanded_runs()
        for run in runs:
            local = run.template and not run.template.startswith(LIBRARY_PREFIX)
            if local and run.template not in self.templates:
                raise ValueError(f"run {run.label!r}: no template {run.template!r} in templates")
            if run.verbalizer and run.verbalizer not in self.verbalizers:
                raise ValueError(f"run {run.label!r}: no verbalizer {run.verbalizer!r}")
        return self

    def expanded_runs(self) -> list[PromptRun]:
        """Every run, list-valued fields expanded into their combinations, in order.

        Raises:
            ValueError: A run is invalid (inside validation, reported as a ConfigError).
        """
        expanded = []
        for index, run in enumerate(self.runs):
            keys = list(run)
            choices = [v if isinstance(v, list) else [v] for v in run.values()]
            for combination in itertools.product(*choices):
                try:
                    expanded.append(
                        PromptRun.model_validate(dict(zip(keys, combination, strict=True)))
                    )
                except ValidationError as exc:
                    detail = describe_validation_error(exc).removeprefix("invalid configuration: ")
                    raise ValueError(f"runs[{index}]: {detail}") from None
        return expanded

    @classmethod
    def build(cls, values: dict[str, Any]) -> PromptEvalConfig:
        """Validate ``values``, turning pydantic errors into one ConfigError."""
        return validated(cls, values)


def load_eval_config(path: str | Path, overrides: list[str] | None = None) -> PromptEvalConfig:
    """Read a prompt-evaluation YAML file and apply ``key=value`` overrides.

    Raises:
        ConfigError: The file is missing, not YAML, or invalid.
    """
    return PromptEvalConfig.build(read_settings(path, overrides, name=Path(path).stem))
