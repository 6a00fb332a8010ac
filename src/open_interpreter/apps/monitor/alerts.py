"""Alert rules at work: threshold and z-score rules on closed windows, river's ADWIN and
Page–Hinkley detectors on each document's sentiment, with a cool-down per rule and series.

The engine decides *whether* to alert; the monitor stores alerts (de-duplicated by
:attr:`Trigger.dedup_key`) and delivers them.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from open_interpreter.apps.monitor.settings import Rule

WINDOW_KINDS = ("threshold", "zscore")


@dataclass
class Trigger:
    """A rule firing on one series at one moment (an alert before it is stored)."""

    rule: str
    kind: str
    key: str
    time: datetime
    value: float
    message: str

    @property
    def dedup_key(self) -> str:
        """Same rule, series and moment → same alert, however often it is computed."""
        text = f"{self.rule}|{self.key}|{self.time.isoformat()}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class AlertEngine:
    """Holds each rule's state per series: detectors, baselines, last alert times.

    Args:
        rules: The rules to apply.
        history: Called as ``history(key, n, min_volume, before)`` for a series' last
            ``n`` window points with at least ``min_volume`` documents ending before
            ``before`` (oldest first) when a z-score rule first sees the series, so a
            reopened monitor keeps its baseline.
    """

    def __init__(self, rules: list[Rule], history: Any = None):
        self.rules = rules
        self.history = history
        self._detectors: dict[tuple[str, str], Any] = {}
        self._baselines: dict[tuple[str, str], deque[float]] = {}
        self._last_alert: dict[tuple[str, str], datetime] = {}

    def on_document(self, key: str, time: datetime, sentiment: float) -> list[Trigger]:
        """Feed one document's sentiment to the change detectors watching ``key``."""
        fired = []
        for rule in self.rules:
            if rule.kind in WINDOW_KINDS or not fnmatchcase(key, rule.keys):
                continue
            detector = self._detectors.get((rule.name, key))
            if detector is None:
                detector = self._detectors[(rule.name, key)] = _detector(rule)
            before = getattr(detector, "estimation", None)
            detector.update(sentiment)
            if not detector.drift_detected:
                continue
            if rule.kind == "adwin" and before is not None:
                change = detector.estimation - before
                if (rule.direction == "down" and change >= 0) or (
                    rule.direction == "up" and change <= 0
                ):
                    continue
            fired += self._fire(
                rule, key, time, sentiment, f"{rule.kind} detected a change in sentiment of {key}"
            )
        return fired

    def on_window(self, key: str, end: datetime, point: dict[str, float]) -> list[Trigger]:
        """Check the threshold and z-score rules watching ``key`` on its window ending at
        ``end`` (``point`` holds ``volume``, ``mean_sentiment``, ``share_negative``)."""
        fired = []
        for rule in self.rules:
            if rule.kind not in WINDOW_KINDS or not fnmatchcase(key, rule.keys):
                continue
            if point["volume"] < rule.min_volume:
                continue
            value = float(point[rule.metric])
            if rule.kind == "threshold":
                if (rule.above is not None and value > rule.above) or (
                    rule.below is not None and value < rule.below
                ):
                    fired += self._fire(
                        rule, key, end, value, f"{rule.metric} of {key} is {value:.3f}"
                    )
                continue
            fired += self._zscore(rule, key, end, value)
        return fired

    def _zscore(self, rule: Rule, key: str, end: datetime, value: float) -> list[Trigger]:
        baseline = self._baselines.get((rule.name, key))
        if baseline is None:
            earlier = self.history(key, rule.baseline, rule.min_volume, end) if self.history else []
            baseline = self._baselines[(rule.name, key)] = deque(
                (float(p[rule.metric]) for p in earlier), maxlen=rule.baseline
            )
        fired: list[Trigger] = []
        if len(baseline) == rule.baseline:
            mean = sum(baseline) / len(baseline)
            spread = math.sqrt(sum((v - mean) ** 2 for v in baseline) / (len(baseline) - 1))
            z = (value - mean) / max(spread, 1e-3)
            if (rule.direction in ("up", "both") and z >= rule.z) or (
                rule.direction in ("down", "both") and z <= -rule.z
            ):
                fired = self._fire(
                    rule, key, end, value, f"{rule.metric} of {key} is {value:.3f}, z = {z:.1f}"
                )
        baseline.append(value)
        return fired

    @property
    def detectors(self) -> dict[tuple[str, str], Any]:
        """The change detectors (ADWIN, Page–Hinkley) by rule name and series key."""
        return self._detectors

    def load_detectors(self, detectors: dict[tuple[str, str], Any]) -> None:
        """Take detectors from a checkpoint (:mod:`~open_interpreter.apps.monitor.checkpoints`)."""
        self._detectors.update(detectors)

    def note_alert(self, rule: str, key: str, time: datetime) -> None:
        """Remember an alert of ``rule`` on ``key`` at ``time`` (a stored one, on reopening)
        for the rule's cool-down."""
        last = self._last_alert.get((rule, key))
        if last is None or time > last:
            self._last_alert[(rule, key)] = time

    def _fire(self, rule: Rule, key: str, time: datetime, value: float, message: str):
        last = self._last_alert.get((rule.name, key))
        if last is not None and time - last < timedelta(minutes=rule.cooldown_minutes):
            return []
        self._last_alert[(rule.name, key)] = time
        return [Trigger(rule.name, rule.kind, key, time, round(value, 6), message)]


def _detector(rule: Rule) -> Any:
    from river import drift

    if rule.kind == "adwin":
        return drift.ADWIN(delta=rule.delta)
    mode = {"down": "down", "up": "up", "both": "both"}[rule.direction]
    return drift.PageHinkley(delta=rule.delta, threshold=rule.threshold, mode=mode)
