"""Search spaces: which settings a study tries, and over what range.

A space maps :class:`~open_interpreter.config.FineTuneConfig` settings (dotted for nested
ones: ``peft.r``) to what to try::

    learning_rate: {low: 1.0e-5, high: 3.0e-4, log: true}   # a float range, log-uniform
    epochs: {low: 2, high: 5}                               # integers when both ends are
    batch_size: [8, 16, 32]                                 # a list: one of these values
    warmup_ratio: {low: 0.0, high: 0.2, step: 0.05}

Every value a space can yield is checked against the base configuration before
anything trains, so a range the configuration would refuse (``dropout`` up to 1.5) fails
at once with the setting's own message.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError

#: Settings a study may not vary: they say what is trained and where, not how.
NOT_SEARCHABLE = frozenset(
    {
        "model",
        "task",
        "data",
        "labels",
        "output_dir",
        "checkpoint_every",
        "resume_from",
        "progress",
        "trust_remote_code",
        "report_to",
        "num_threads",
        "eval_every_epoch",
        "restore_best",
        "generation",
        "augment",
        "peft",
    }
)
_RANGE_KEYS = frozenset({"low", "high", "log", "step"})


@dataclass(frozen=True)
class Range:
    """Values between ``low`` and ``high`` (integers when both ends are), optionally
    log-uniform or on a ``step`` grid."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    @property
    def is_int(self) -> bool:
        """Whether the range yields integers (both ends given as integers)."""
        return isinstance(self.low, int) and isinstance(self.high, int)

    def suggest(self, trial: Any, name: str) -> Any:
        """Draw a value from the Optuna ``trial``."""
        if self.is_int:
            step = int(self.step or 1)
            return trial.suggest_int(name, self.low, self.high, step=step, log=self.log)
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in the range."""
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def corners(self) -> list[Any]:
        """The extreme values, checked against the configuration."""
        return [self.low, self.high]

    def describe(self) -> dict[str, Any]:
        """The range as written in YAML."""
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class Choice:
    """One of a list of values."""

    values: tuple[Any, ...]

    def suggest(self, trial: Any, name: str) -> Any:
        """Draw a value from the Optuna ``trial``."""
        return trial.suggest_categorical(name, list(self.values))

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices."""
        return value in self.values

    def corners(self) -> list[Any]:
        """Every value, checked against the configuration."""
        return list(self.values)

    def describe(self) -> list[Any]:
        """The choices as written in YAML."""
        return list(self.values)


Parameter = Range | Choice


@dataclass(frozen=True)
class SearchSpace:
    """The settings a study varies, each with its :class:`Range` or :class:`Choice`.

    Build one with :func:`parse_space`, which checks it against a base configuration.
    """

    parameters: dict[str, Parameter]

    @property
    def names(self) -> list[str]:
        """The searched settings, in the order given."""
        return list(self.parameters)

    def suggest(self, trial: Any) -> dict[str, Any]:
        """One value per searched setting, drawn from ``trial`` (dotted names kept)."""
        return {name: p.suggest(trial, name) for name, p in self.parameters.items()}

    def max_of(self, name: str, default: float) -> float:
        """The largest value ``name`` can take (``default`` when it is not searched)."""
        parameter = self.parameters.get(name)
        if parameter is None:
            return default
        return max(parameter.corners())

    def to_dict(self) -> dict[str, Any]:
        """The space as written in YAML (stored with the study)."""
        return {name: p.describe() for name, p in self.parameters.items()}


def parse_space(values: Any, base: FineTuneConfig) -> SearchSpace:
    """Read a search space written as a mapping, and check it against ``base``.

    Args:
        values: ``{setting: {low, high[, log][, step]} | [choices]}``; settings are
            :class:`FineTuneConfig` fields, dotted for ``peft.*``.
        base: The configuration every trial starts from.

    Returns:
        The checked space.

    Raises:
        ConfigError: An empty space, an unknown or unsearchable setting, a range with
            ``low >= high`` (or ``log`` with ``low <= 0``), an empty list of choices, or
            a value the configuration would refuse; the message names the setting.

    Example:
        >>> space = parse_space({"learning_rate": {"low": 1e-5, "high": 1e-4, "log": True}},
        ...                     FineTuneConfig())
        >>> space.names
        ['learning_rate']
    """
    if not isinstance(values, dict):
        raise ConfigError(
            f"a search space is a mapping of settings to ranges or lists, got {values!r}"
        )
    if not values:
        raise ConfigError(
            "the search space is empty: name at least one setting to search, e.g. "
            "learning_rate: {low: 1.0e-5, high: 1.0e-4, log: true}"
        )
    parameters = {}
    for name, spec in values.items():
        _check_name(str(name), base)
        parameter = _parameter(str(name), spec)
        for value in parameter.corners():
            _check_value(str(name), value, base)
        parameters[str(name)] = parameter
    return SearchSpace(parameters)


def config_changes(params: dict[str, Any]) -> dict[str, Any]:
    """Dotted settings (``peft.r``) as nested changes for :meth:`FineTuneConfig.updated`."""
    changes: dict[str, Any] = {}
    for name, value in params.items():
        head, _, leaf = name.partition(".")
        if leaf:
            changes.setdefault(head, {})[leaf] = value
        else:
            changes[head] = value
    return changes


def base_value(base: FineTuneConfig, name: str) -> Any:
    """The value of setting ``name`` (dotted for nested ones) in ``base``."""
    value: Any = base
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _check_name(name: str, base: FineTuneConfig) -> None:
    head, _, leaf = name.partition(".")
    fields = FineTuneConfig.model_fields
    if head == "peft" and leaf:
        if base.peft is None:
            raise ConfigError(
                f"the search space sets {name} but the run trains every weight; "
                "set peft (e.g. peft: lora) to search the adapter's settings"
            )
        peft_fields = type(base.peft).model_fields
        if leaf not in peft_fields:
            hint = _near(leaf, peft_fields)
            raise ConfigError(f"the search space names {name!r}, not a peft setting{hint}")
        return
    if head not in fields:
        raise ConfigError(f"the search space names {name!r}, not a setting{_near(head, fields)}")
    if head in NOT_SEARCHABLE or leaf:
        raise ConfigError(
            f"{name!r} cannot be searched: a study varies how a model is trained "
            "(learning_rate, epochs, batch_size, warmup_ratio, weight_decay, dropout, "
            "peft.r...), not what or where"
        )


def _near(name: str, known: Any) -> str:
    match = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def _parameter(name: str, spec: Any) -> Parameter:
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ConfigError(f"search space: {name} lists no values to choose from")
        if len(set(map(repr, spec))) < len(spec):
            raise ConfigError(f"search space: {name} lists a value twice: {list(spec)}")
        if len(spec) == 1:
            raise ConfigError(
                f"search space: {name} lists one value, {spec[0]!r}: set it as a plain "
                "setting instead, or list others to try"
            )
        return Choice(tuple(spec))
    if not isinstance(spec, dict):
        raise ConfigError(
            f"search space: {name} must be a range {{low, high[, log][, step]}} or a list "
            f"of values, got {spec!r}"
        )
    unknown = sorted(set(spec) - _RANGE_KEYS)
    if unknown or not {"low", "high"} <= set(spec):
        raise ConfigError(
            f"search space: {name} must give low and high (and optionally log, step), "
            f"got {sorted(spec)}"
        )
    low, high = spec["low"], spec["high"]
    log, step = bool(spec.get("log", False)), spec.get("step")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    if not numbers or any(math.isnan(v) or math.isinf(v) for v in (low, high)):
        raise ConfigError(f"search space: {name} needs numbers for low and high, got {spec}")
    if low >= high:
        raise ConfigError(f"search space: {name} has low={low} >= high={high}")
    if log and low <= 0:
        raise ConfigError(f"search space: {name} is log-uniform, so low must be above 0, got {low}")
    if step is not None:
        if log:
            raise ConfigError(f"search space: {name} cannot be both log-uniform and stepped")
        if not isinstance(step, (int, float)) or step <= 0 or step > high - low:
            raise ConfigError(
                f"search space: {name} needs a step above 0 and at most high - low, got {step}"
            )
    return Range(low, high, log, step)


def _check_value(name: str, value: Any, base: FineTuneConfig) -> None:
    try:
        base.updated(**config_changes({name: value}))
    except ConfigError as error:
        raise ConfigError(f"search space: {name}={value!r} is refused: {error}") from None
