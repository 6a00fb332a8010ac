"""Detector state survives a restart: a monitor reopened mid-stream (a new ``Monitor``,
as after a server restart) raises exactly the alerts an uninterrupted one raises —
ADWIN and Page–Hinkley rebuilt from the stored mentions, z-score baselines from the
stored series, cool-downs from the stored alerts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from open_interpreter.apps.monitor import (
    AliasTable,
    EntityFinder,
    LexiconAnalyzer,
    Monitor,
    checkpoints,
)
from open_interpreter.storage import artifacts

ALIASES = {"Acme": {"type": "company", "aliases": []}, "Bolt": {"type": "company", "aliases": []}}
GOOD = "{} reported strong gains and record profits."
BAD = "{} shares fell after losses and a fraud investigation."
NEUTRAL = "{} said the meeting is on Tuesday."
RULES = [
    {"name": "adwin", "kind": "adwin", "delta": 0.5, "cooldown_minutes": 60},
    {"name": "ph", "kind": "page-hinkley", "threshold": 4, "cooldown_minutes": 60},
    {"name": "z", "kind": "zscore", "z": 2.0, "baseline": 4, "min_volume": 3},
    {"name": "neg", "kind": "threshold", "above": 0.5, "min_volume": 3, "cooldown_minutes": 90},
]


def stream(n: int = 360) -> list[dict]:
    """Two companies, a document every 2 minutes; sentiment turns bad twice for Acme."""
    rng = random.Random(7)
    t0 = datetime(2024, 5, 1, 9, 0)
    documents = []
    for i in range(n):
        company = "Acme" if i % 3 else "Bolt"
        bad_share = 0.8 if company == "Acme" and (120 <= i < 180 or 280 <= i < 320) else 0.15
        template = BAD if rng.random() < bad_share else rng.choice([GOOD, NEUTRAL])
        documents.append(
            {
                "id": f"d{i}",
                "time": t0 + timedelta(minutes=2 * i),
                "source": "wire",
                "text": template.format(company),
            }
        )
    return documents


def open_monitor(db, name: str) -> Monitor:
    analyzer = LexiconAnalyzer(EntityFinder(AliasTable(ALIASES)))
    return Monitor(
        name,
        database=db,
        analyzer=analyzer,
        aliases=ALIASES,
        rules=RULES,
        window_minutes=30,
        step_minutes=10,
    )


def raised(monitor: Monitor) -> list[tuple]:
    return sorted((a["rule"], a["key"], a["time"], a["value"]) for a in monitor.alerts(limit=1000))


def test_a_monitor_reopened_mid_stream_raises_the_same_alerts(db):
    documents = stream()
    whole = open_monitor(db, "whole")
    whole.replay(documents, batch_size=24)
    expected = raised(whole)
    assert {rule for rule, *_ in expected} == {"adwin", "ph", "z", "neg"}

    for restart_at in (150, 290):  # inside the first turn and the second
        name = f"restarted-{restart_at}"
        open_monitor(db, name).replay(documents[:restart_at], batch_size=24)
        open_monitor(db, name).replay(documents[restart_at:], batch_size=24)  # a new process
        assert raised(Monitor.open(name, database=db)) == expected


def test_detectors_started_fresh_would_alert_differently(db, monkeypatch):
    """The check above can fail: without the rebuild, a reopened monitor's detectors
    start empty and its alerts differ from the uninterrupted monitor's."""
    documents = stream()
    whole = open_monitor(db, "whole")
    whole.replay(documents, batch_size=24)
    monkeypatch.setattr(Monitor, "_restore_detectors", lambda self: None)
    open_monitor(db, "fresh").replay(documents[:150], batch_size=24)
    open_monitor(db, "fresh").replay(documents[150:], batch_size=24)
    assert raised(Monitor.open("fresh", database=db)) != raised(whole)


def test_a_checkpoint_spares_the_replay_and_keeps_the_alerts(db, monkeypatch):
    """With detector checkpoints every 50 mentions, a reopened monitor feeds only the
    mentions stored after the latest one and still raises the uninterrupted run's alerts;
    changed rules or an unreadable checkpoint fall back to the full replay."""
    monkeypatch.setattr(checkpoints, "EVERY", 50)
    documents = stream()
    whole = open_monitor(db, "whole")
    whole.replay(documents, batch_size=24)
    expected = raised(whole)

    name = "checkpointed"  # reopened inside the first turn, its detectors mid-change
    open_monitor(db, name).replay(documents[:150], batch_size=24)
    reopened = open_monitor(db, name)  # one mention a document; a checkpoint every 3 batches
    assert 0 < reopened.replayed_mentions < 72, reopened.replayed_mentions
    reopened.replay(documents[150:], batch_size=24)
    assert raised(Monitor.open(name, database=db)) == expected

    stored = len(documents)
    assert Monitor.open(name, database=db).replayed_mentions < 72
    changed = [{**RULES[0], "delta": 0.3}, *RULES[1:]]
    assert Monitor(name, database=db, rules=changed).replayed_mentions == stored
    monitor_id = Monitor.open(name, database=db).id  # that replay wrote a new checkpoint
    assert Monitor.open(name, database=db).replayed_mentions < 72
    artifacts.resolve(checkpoints.relative_path(monitor_id)).write_bytes(b"not a pickle")
    assert Monitor.open(name, database=db).replayed_mentions == stored
