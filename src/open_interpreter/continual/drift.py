"""Drift of a served model's predictions against its evaluation baseline.

A prediction is seen as an :class:`Observation`: the labels it predicted (one for a text
classifier; the entity type, or ``O``, of every word for NER) and its confidence (the
label's probability; the mean of the word scores for NER). A :class:`DriftWindow` keeps
the last ``size`` observations and compares them with a :class:`Baseline` (the same
observations of the version on its own evaluation data):

- the **population stability index** of the predicted-label distribution and of the
  confidence distribution (five bins cut at the baseline's quintiles: with windows of a
  few hundred predictions, ten bins make the index noisy):
  ``PSI = Σ (a − e) · ln(a / e)`` over bins, ``e`` the baseline's share, ``a`` the
  window's. Below 0.1 is read as no shift, 0.1–0.2 moderate, above
  :data:`PSI_SIGNIFICANT` (0.2) a significant shift — the window is *drifted* then, and
  stays drifted until both indices are back under :data:`PSI_MODERATE` (hysteresis: a
  window hovering around 0.2 does not flap);
- **ADWIN** (Bifet & Gavaldà 2007, ``river.drift.ADWIN``) on the confidence stream,
  primed with the baseline's confidences: a detection means the mean confidence of what
  is served changed.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PSI_SIGNIFICANT = 0.2
"""PSI above which a shift is significant (the usual rule of thumb)."""
PSI_MODERATE = 0.1
"""PSI above which a shift is moderate."""
CONFIDENCE_BINS = 5
PSI_FLOOR = 1e-4
"""Share a bin is given when it is empty, so the logarithm stays finite."""


@dataclass(frozen=True)
class Observation:
    """What one prediction contributes: its predicted labels and its confidence."""

    labels: tuple[str, ...]
    confidence: float


def observation_of(prediction: Mapping[str, Any]) -> Observation | None:
    """The observation of one prediction as the API answers it (``LabelPrediction`` or
    ``TokenPrediction`` as a dict); None for a prediction with no words."""
    if "tags" in prediction:
        tags = list(prediction["tags"])
        if not tags:
            return None
        scores = [float(s) for s in prediction.get("scores", [])] or [0.0]
        types = tuple(tag.split("-", 1)[1] if "-" in tag else tag for tag in tags)
        return Observation(types, sum(scores) / len(scores))
    return Observation((str(prediction["label"]),), float(prediction["score"]))


def population_stability_index(
    expected: Mapping[str, float], actual: Mapping[str, float], *, floor: float = PSI_FLOOR
) -> float:
    """PSI of ``actual`` against ``expected`` (counts or shares per bin; normalised here).

    Example:
        >>> round(population_stability_index({"a": 50, "b": 50}, {"a": 90, "b": 10}), 3)
        0.879
    """
    bins = set(expected) | set(actual)
    e_total = sum(expected.values()) or 1.0
    a_total = sum(actual.values()) or 1.0
    psi = 0.0
    for name in bins:
        e = max(expected.get(name, 0.0) / e_total, floor)
        a = max(actual.get(name, 0.0) / a_total, floor)
        psi += (a - e) * math.log(a / e)
    return psi


def _bin(value: float, edges: Sequence[float]) -> str:
    index = sum(1 for edge in edges if value > edge)
    return f"bin-{index}"


@dataclass
class Baseline:
    """A version's predictions on its evaluation data: label shares and confidences."""

    labels: dict[str, float]
    edges: list[float]
    confidence_bins: dict[str, float]
    confidences: list[float]
    predictions: int

    @classmethod
    def of(cls, observations: Iterable[Observation], *, keep: int = 1000) -> Baseline:
        """The baseline of ``observations`` (at least one)."""
        observations = list(observations)
        if not observations:
            raise ValueError("a baseline needs at least one prediction")
        labels = Counter(label for obs in observations for label in obs.labels)
        confidences = [obs.confidence for obs in observations]
        ordered = sorted(confidences)
        cuts = [ordered[len(ordered) * k // CONFIDENCE_BINS] for k in range(1, CONFIDENCE_BINS)]
        edges = sorted(set(cuts))
        bins = Counter(_bin(c, edges) for c in confidences)
        total = sum(labels.values())
        return cls(
            labels={k: v / total for k, v in sorted(labels.items())},
            edges=edges,
            confidence_bins={k: v / len(confidences) for k, v in sorted(bins.items())},
            confidences=confidences[:keep],
            predictions=len(observations),
        )

    @property
    def mean_confidence(self) -> float:
        """The mean confidence of the baseline's predictions."""
        return sum(self.confidences) / len(self.confidences)


@dataclass
class DriftStatus:
    """How a window compares with its baseline now."""

    window: int
    label_psi: float | None
    confidence_psi: float | None
    mean_confidence: float | None
    baseline_confidence: float | None
    adwin_detections: int
    drifted: bool
    threshold: float
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class DriftWindow:
    """The last ``size`` observations of a served version against its baseline.

    Args:
        baseline: The version's baseline (None until known: observations are kept and
            compared once it is set).
        size: Observations kept (the window).
        min_size: Observations needed before the window can be called drifted.
        threshold: PSI above which it becomes drifted.
        recover: PSI both indices must fall under before a drifted window is not.
        adwin_delta: ADWIN's confidence parameter (smaller: fewer, surer detections).
    """

    def __init__(
        self,
        baseline: Baseline | None = None,
        *,
        size: int = 200,
        min_size: int = 100,
        threshold: float = PSI_SIGNIFICANT,
        recover: float = PSI_MODERATE,
        adwin_delta: float = 0.002,
    ):
        if not 1 <= min_size <= size:
            raise ValueError(f"need 1 <= min_size <= size, got {min_size=}, {size=}")
        self.size, self.min_size, self.threshold = size, min_size, threshold
        self.recover = min(recover, threshold)
        self._drifted = False
        self.adwin_delta = adwin_delta
        self.baseline: Baseline | None = None
        self._observations: deque[Observation] = deque()
        self._labels: Counter[str] = Counter()
        self._bins: Counter[str] = Counter()
        self._confidence_sum = 0.0
        self._adwin: Any = None
        self.adwin_detections = 0
        if baseline is not None:
            self.set_baseline(baseline)

    def set_baseline(self, baseline: Baseline) -> None:
        """Compare with ``baseline`` from now on (ADWIN restarts, primed with it)."""
        from river.drift import ADWIN

        self.baseline = baseline
        self._bins = Counter(_bin(o.confidence, baseline.edges) for o in self._observations)
        self._adwin = ADWIN(delta=self.adwin_delta)
        for value in baseline.confidences:
            self._adwin.update(value)
        self.adwin_detections = 0
        for obs in self._observations:
            self._update_adwin(obs.confidence)

    def observe(self, observation: Observation) -> None:
        """Add one prediction's observation (the oldest leaves a full window)."""
        if len(self._observations) == self.size:
            old = self._observations.popleft()
            self._labels.subtract(old.labels)
            self._confidence_sum -= old.confidence
            if self.baseline is not None:
                self._bins[_bin(old.confidence, self.baseline.edges)] -= 1
        self._observations.append(observation)
        self._labels.update(observation.labels)
        self._confidence_sum += observation.confidence
        if self.baseline is not None:
            self._bins[_bin(observation.confidence, self.baseline.edges)] += 1
            self._update_adwin(observation.confidence)

    def _update_adwin(self, value: float) -> None:
        self._adwin.update(value)
        if self._adwin.drift_detected:
            self.adwin_detections += 1

    def __len__(self) -> int:
        return len(self._observations)

    def observations(self) -> list[Observation]:
        """The window's observations, oldest first (what a stored window keeps)."""
        return list(self._observations)

    @property
    def drifted(self) -> bool:
        """Whether the window was drifted when last asked (:meth:`status`)."""
        return self._drifted

    def restore(self, older: list[Observation], *, drifted: bool = False) -> None:
        """Put a stored window's observations before those observed since; the window
        keeps the newest ``size``. ``drifted``: the stored window was drifted (it stays so
        until both indices are back under ``recover``, as if never stopped)."""
        kept = [*older, *self._observations][-self.size :]
        baseline, self.baseline = self.baseline, None
        self._observations, self._labels, self._bins = deque(), Counter(), Counter()
        self._confidence_sum = 0.0
        for observation in kept:
            self.observe(observation)
        self._drifted = self._drifted or drifted
        if baseline is not None:
            self.set_baseline(baseline)

    def status(self) -> DriftStatus:
        """The PSIs, the mean confidence and whether the window is drifted now."""
        n = len(self._observations)
        mean = self._confidence_sum / n if n else None
        if self.baseline is None or n == 0:
            return DriftStatus(n, None, None, mean, None, 0, False, self.threshold)
        label_psi = population_stability_index(self.baseline.labels, self._positive(self._labels))
        confidence_psi = population_stability_index(
            self.baseline.confidence_bins, self._positive(self._bins)
        )
        reasons = []
        if n >= self.min_size:
            values = (("label", label_psi), ("confidence", confidence_psi))
            reasons = [
                f"{k} PSI {v:.3f} > {self.threshold}" for k, v in values if v > self.threshold
            ]
            if not reasons and self._drifted:
                reasons = [
                    f"{k} PSI {v:.3f}, not yet back under {self.recover}"
                    for k, v in values
                    if v > self.recover
                ]
        self._drifted = bool(reasons)
        return DriftStatus(
            window=n,
            label_psi=round(label_psi, 6),
            confidence_psi=round(confidence_psi, 6),
            mean_confidence=mean,
            baseline_confidence=self.baseline.mean_confidence,
            adwin_detections=self.adwin_detections,
            drifted=bool(reasons),
            threshold=self.threshold,
            reasons=reasons,
        )

    @staticmethod
    def _positive(counts: Counter[str]) -> dict[str, float]:
        return {k: float(v) for k, v in counts.items() if v > 0}
