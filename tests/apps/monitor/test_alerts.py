"""Alert rules: thresholds, z-scores, river's ADWIN and Page–Hinkley, cool-down, direction."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from open_interpreter.apps.monitor.alerts import AlertEngine
from open_interpreter.apps.monitor.settings import MonitorSettings, Rule

T0 = datetime(2024, 5, 1)


def point(share: float, volume: int = 10) -> dict:
    return {"volume": volume, "mean_sentiment": -share, "share_negative": share}


def stream(engine: AlertEngine, values: list[float], key: str = "entity:Acme") -> list:
    fired = []
    for i, value in enumerate(values):
        fired += engine.on_document(key, T0 + timedelta(minutes=i), value)
    return fired


def sentiments(before: float, after: float, n: int = 300, change: int = 200) -> list[float]:
    rng = random.Random(0)
    return [(before if i < change else after) + rng.gauss(0, 0.3) for i in range(n)]


def test_threshold_fires_above_and_skips_thin_windows():
    engine = AlertEngine([Rule(name="neg", kind="threshold", above=0.5, min_volume=5)])
    assert engine.on_window("entity:Acme", T0, point(0.4)) == []
    assert engine.on_window("entity:Acme", T0, point(0.9, volume=2)) == []
    [alert] = engine.on_window("entity:Acme", T0, point(0.6))
    assert (alert.rule, alert.key, alert.value) == ("neg", "entity:Acme", 0.6)
    assert engine.on_window("topic:sport", T0, point(0.9)) == []  # keys: entity:*


def test_zscore_needs_a_full_baseline_and_fires_on_the_unusual_direction():
    rule = Rule(name="z", kind="zscore", baseline=5, z=3, direction="up", cooldown_minutes=0)
    engine = AlertEngine([rule])
    for i, share in enumerate([0.1, 0.12, 0.09, 0.11, 0.1]):
        assert engine.on_window("entity:Acme", T0 + timedelta(hours=i), point(share)) == []
    assert engine.on_window("entity:Acme", T0 + timedelta(hours=6), point(0.05)) == []
    [alert] = engine.on_window("entity:Acme", T0 + timedelta(hours=7), point(0.6))
    assert "z = " in alert.message


def test_zscore_starts_from_the_stored_history():
    engine = AlertEngine(
        [Rule(name="z", kind="zscore", baseline=3, direction="up")],
        history=lambda key, n, *_: [point(0.1), point(0.11), point(0.09)][-n:],
    )
    assert len(engine.on_window("entity:Acme", T0, point(0.9))) == 1


@pytest.mark.parametrize("kind", ["adwin", "page-hinkley"])
def test_detectors_find_a_fall_in_sentiment_and_not_a_rise(kind):
    rule = Rule(name=kind, kind=kind, direction="down", cooldown_minutes=10_000)
    fired = stream(AlertEngine([rule]), sentiments(0.3, -0.5))
    assert len(fired) == 1 and 200 <= (fired[0].time - T0).total_seconds() / 60 < 260
    assert stream(AlertEngine([rule]), sentiments(-0.5, 0.3)) == []


def test_detectors_stay_quiet_without_a_change():
    rules = [Rule(name="a", kind="adwin"), Rule(name="p", kind="page-hinkley")]
    assert stream(AlertEngine(rules), sentiments(0.1, 0.1, n=2000)) == []


def test_cooldown_holds_back_a_second_alert_on_the_same_series():
    engine = AlertEngine([Rule(name="t", kind="threshold", above=0.5, cooldown_minutes=60)])
    assert len(engine.on_window("entity:A", T0, point(0.9))) == 1
    assert engine.on_window("entity:A", T0 + timedelta(minutes=30), point(0.9)) == []
    assert len(engine.on_window("entity:B", T0 + timedelta(minutes=30), point(0.9))) == 1
    assert len(engine.on_window("entity:A", T0 + timedelta(minutes=61), point(0.9))) == 1


def test_the_same_trigger_has_the_same_dedup_key():
    one = AlertEngine([Rule(name="t", kind="threshold", above=0.5)])
    two = AlertEngine([Rule(name="t", kind="threshold", above=0.5)])
    a, b = one.on_window("entity:A", T0, point(0.9)), two.on_window("entity:A", T0, point(0.9))
    assert a[0].dedup_key == b[0].dedup_key


def test_bad_rules_and_settings_are_refused():
    with pytest.raises(ValidationError, match="needs above or below"):
        Rule(name="t", kind="threshold")
    with pytest.raises(ValidationError, match="kind"):
        Rule(name="t", kind="bollinger")
    with pytest.raises(ValidationError, match="multiple of step_minutes"):
        MonitorSettings(window_minutes=60, step_minutes=7)
    with pytest.raises(ValidationError, match="unique"):
        MonitorSettings(rules=[{"name": "a", "kind": "adwin"}, {"name": "a", "kind": "adwin"}])
