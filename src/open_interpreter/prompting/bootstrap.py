"""Bootstrap confidence intervals for accuracy and macro-F1, single and paired.

The examples are resampled with replacement (seeded) and the metric recomputed on every
resample, vectorised with numpy; the interval is the percentile interval. A *paired*
bootstrap resamples the same examples for two prediction sets, so the interval of their
difference accounts for both being scored on one dev set.

Example:
    >>> low, high = bootstrap_interval(["a", "b"] * 50, ["a", "a"] * 50, "accuracy")
    >>> 0.35 < low < 0.5 < high < 0.65
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from open_interpreter.errors import ConfigError, DataError

Metric = Literal["accuracy", "macro-f1"]
METRICS: tuple[str, ...] = ("accuracy", "macro-f1")


def metric_value(
    gold: Sequence[str], pred: Sequence[str], metric: Metric, labels: Sequence[str] | None = None
) -> float:
    """``metric`` on the examples as they are (no resampling)."""
    g, p, count = _indices(gold, pred, labels)
    return float(_metric(g[None, :], p[None, :], metric, count)[0])


def bootstrap_interval(
    gold: Sequence[str],
    pred: Sequence[str],
    metric: Metric,
    *,
    labels: Sequence[str] | None = None,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """The percentile bootstrap interval of ``metric``.

    Args:
        gold: Gold labels.
        pred: Predicted labels.
        metric: ``"accuracy"`` or ``"macro-f1"`` (averaged over ``labels``).
        labels: Every label of the task (default: those seen).
        resamples: Bootstrap resamples.
        level: Coverage, e.g. 0.95.
        seed: Seed of the resampling.

    Returns:
        ``(low, high)``.

    Raises:
        ConfigError: Unknown metric, ``level`` outside (0, 1) or ``resamples`` below 1.
        DataError: Empty or mismatched inputs.
    """
    _check(metric, level, resamples)
    g, p, count = _indices(gold, pred, labels)
    picks = np.random.default_rng(seed).integers(0, len(g), size=(resamples, len(g)))
    values = _metric(g[picks], p[picks], metric, count)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference(
    gold: Sequence[str],
    pred_a: Sequence[str],
    pred_b: Sequence[str],
    metric: Metric,
    *,
    labels: Sequence[str] | None = None,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``metric(pred_b) - metric(pred_a)`` with a paired bootstrap interval.

    Returns:
        ``(difference, low, high)``.

    Raises:
        ConfigError: As :func:`bootstrap_interval`.
        DataError: Empty or mismatched inputs.
    """
    _check(metric, level, resamples)
    g, a, count = _indices(gold, pred_a, labels)
    _, b, _ = _indices(gold, pred_b, labels)
    picks = np.random.default_rng(seed).integers(0, len(g), size=(resamples, len(g)))
    values = _metric(g[picks], b[picks], metric, count) - _metric(g[picks], a[picks], metric, count)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    difference = (
        _metric(g[None], b[None], metric, count)[0] - _metric(g[None], a[None], metric, count)[0]
    )
    return float(difference), float(low), float(high)


def _check(metric: str, level: float, resamples: int) -> None:
    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {METRICS}, got {metric=}")
    if not 0 < level < 1 or resamples < 1:
        raise ConfigError(f"need 0 < level < 1 and resamples >= 1, got {level=}, {resamples=}")


def _indices(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, int]:
    if len(gold) != len(pred) or not len(gold):
        raise DataError(
            f"need as many predictions as gold labels (>0), got {len(gold)} and {len(pred)}"
        )
    names = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted((set(gold) | set(pred)) - set(index))
    if unknown:
        raise DataError(f"labels {unknown} are not among {names}")
    return np.array([index[x] for x in gold]), np.array([index[x] for x in pred]), len(names)


def _metric(gold: np.ndarray, pred: np.ndarray, metric: str, labels: int) -> np.ndarray:
    """The metric of each row of ``[resamples, examples]`` label indices."""
    if metric == "accuracy":
        return (gold == pred).mean(axis=1)
    scores = np.zeros(gold.shape[0])
    for label in range(labels):
        is_gold, is_pred = gold == label, pred == label
        true_positives = (is_gold & is_pred).sum(axis=1)
        denominator = is_gold.sum(axis=1) + is_pred.sum(axis=1)
        scores += np.divide(
            2 * true_positives, denominator, out=np.zeros(len(scores)), where=denominator > 0
        )
    return scores / labels
