"""The settings of a study: the ``search:`` section of an ``oi tune`` YAML file and the
keyword arguments of ``OpenInterpreter.tune``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from open_interpreter.config import FineTuneConfig, read_settings, validated
from open_interpreter.errors import ConfigError

Direction = Literal["maximize", "minimize"]
PrunerName = Literal["hyperband", "median", "none"]
SamplerName = Literal["tpe", "random"]

#: Metrics that are better lower; every other metric is better higher.
LOWER_IS_BETTER = frozenset({"loss", "perplexity"})


class SearchConfig(BaseModel):
    """How a hyperparameter study runs: what it searches, for how long, judged by what.

    Example:
        >>> SearchConfig(n_trials=8, metric="entity_f1").direction_for("entity_f1")
        'maximize'
    """

    model_config = ConfigDict(extra="forbid")

    space: dict[str, Any] | Literal["default"] = Field(
        "default",
        description="Settings to search, each a range {low, high[, log][, step]} or a list "
        "of values; 'default' takes the task's default space (docs/hpo.md).",
    )
    n_trials: int = Field(
        20, ge=1, description="Trials to run, the baseline trial included (at most)."
    )
    timeout: float | None = Field(
        None,
        gt=0,
        description="Seconds after which no new trial starts (a running trial finishes).",
    )
    metric: str | None = Field(
        None,
        description="Validation metric to optimise; default the task's headline metric "
        "(entity_f1 for NER, accuracy for classification, loss for generative tasks).",
    )
    direction: Direction | None = Field(
        None, description="maximize or minimize; default from the metric (loss: minimize)."
    )
    pruner: PrunerName = Field(
        "hyperband",
        description="Stop unpromising trials after an epoch: hyperband, median, or none.",
    )
    sampler: SamplerName = Field(
        "tpe", description="How trials pick values: tpe (Bayesian), or random."
    )
    baseline: bool = Field(
        True,
        description="Trial 0 trains the base settings as they are, so the study says how "
        "much the search gained over them.",
    )
    n_jobs: int = Field(
        1,
        ge=1,
        description="Trials run at once in this process; above 1 needs PostgreSQL storage.",
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=120,
        description="The study's name (default: made from the date and time).",
    )
    resume: bool = Field(
        False,
        description="Continue the stored study `name` with n_trials more trials (same "
        "space, metric and direction) instead of refusing a name in use.",
    )

    @model_validator(mode="after")
    def _budget(self) -> SearchConfig:
        if self.resume and self.name is None:
            raise ValueError("resume needs the name of the study to continue (name: ...)")
        if self.baseline and self.n_trials < 2 and not self.resume:
            raise ValueError(
                f"n_trials={self.n_trials} leaves no trial to search after the baseline "
                "trial: ask for at least 2 (or baseline: false)"
            )
        return self

    def direction_for(self, metric: str) -> Direction:
        """The direction to optimise ``metric`` in.

        Raises:
            ConfigError: ``direction`` contradicts the metric (maximising a loss).
        """
        natural: Direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
        if self.direction is not None and self.direction != natural:
            raise ConfigError(
                f"direction={self.direction!r} contradicts metric={metric!r}, which is "
                f"better {'lower' if natural == 'minimize' else 'higher'}: use "
                f"direction={natural!r}"
            )
        return natural


#: Study settings that may be given bare, outside ``search:``: ``oi tune run.yaml n_trials=8``.
BARE_SEARCH_KEYS = (
    "n_trials",
    "timeout",
    "metric",
    "direction",
    "pruner",
    "sampler",
    "name",
    "resume",
)


def load_study_config(
    path: str | Path, overrides: list[str] | None = None
) -> tuple[FineTuneConfig, SearchConfig]:
    """Read an ``oi tune`` YAML file: an ``oi train`` file with a ``search:`` section.

    Args:
        path: The YAML file.
        overrides: ``key=value`` strings; ``search.*`` and the bare study settings
            (``n_trials=8``, ``pruner=median``...) go to the study, the rest to the run.

    Returns:
        The base run's settings and the study's.

    Raises:
        ConfigError: The file is missing or not YAML, or a setting is invalid.

    Example:
        >>> run, search = load_study_config("examples/wnut16_tune.yaml", ["n_trials=4"])
        ... # doctest: +SKIP
    """
    values = read_settings(path, overrides)
    search = values.pop("search", None) or {}
    if not isinstance(search, dict):
        raise ConfigError(f"{path}: search must be a section of settings, got {search!r}")
    search.update({key: values.pop(key) for key in BARE_SEARCH_KEYS if key in values})
    return FineTuneConfig.build(values), validated(SearchConfig, search)
