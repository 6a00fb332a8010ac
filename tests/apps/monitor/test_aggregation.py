"""Sliding windows: which ends are due, and each window's volume, mean and share negative."""

from __future__ import annotations

from datetime import datetime, timedelta

from open_interpreter.apps.monitor.aggregation import (
    Observation,
    aggregate,
    due_window_ends,
    floor_to_step,
)

T0 = datetime(2024, 5, 1, 9, 0)
STEP, WINDOW = timedelta(minutes=10), timedelta(minutes=30)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_window_ends_cover_each_document_until_the_watermark():
    ends = due_window_ends([at(3)], after=None, watermark=at(60), window=WINDOW, step=STEP)
    assert ends == [at(10), at(20), at(30)]  # windows [−20,10), [−10,20), [0,30) hold it
    assert due_window_ends([at(3)], after=at(10), watermark=at(25), window=WINDOW, step=STEP) == [
        at(20)
    ]  # 10 is done; 30 is not reached yet
    assert floor_to_step(at(37), STEP) == at(30)


def test_windows_aggregate_volume_mean_and_share_negative():
    seen = [
        Observation("entity:A", at(1), -0.5, True),
        Observation("entity:A", at(12), 0.5, False),
        Observation("entity:B", at(15), 0.2, False),
        Observation("entity:A", at(25), -1.0, True),
    ]
    points = aggregate(seen, [at(10), at(30)], WINDOW)
    assert points[at(10)] == {
        "entity:A": {"volume": 1, "mean_sentiment": -0.5, "share_negative": 1.0}
    }
    assert points[at(30)]["entity:A"] == {
        "volume": 3,
        "mean_sentiment": round(-1 / 3, 6),
        "share_negative": round(2 / 3, 6),
    }
    assert points[at(30)]["entity:B"]["volume"] == 1
