"""Sliding windows over the mentions of each series: volume, mean sentiment and share
negative of the documents in ``[end − window, end)``, for window ends every ``step``.

Window ends are aligned to whole multiples of ``step`` since the Unix epoch, so two
monitors with the same settings cut the same windows. A window is computed once stream
time (the latest document time seen, the *watermark*) has reached its end; windows with
no document are not stored.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Observation:
    """One document counted under one series key."""

    key: str
    time: datetime
    sentiment: float
    negative: bool


def floor_to_step(moment: datetime, step: timedelta) -> datetime:
    """The latest window boundary at or before ``moment``.

    Example:
        >>> floor_to_step(datetime(2024, 1, 1, 9, 37), timedelta(minutes=10))
        datetime.datetime(2024, 1, 1, 9, 30)
    """
    return EPOCH + ((moment - EPOCH) // step) * step


def due_window_ends(
    times: Iterable[datetime],
    *,
    after: datetime | None,
    watermark: datetime,
    window: timedelta,
    step: timedelta,
) -> list[datetime]:
    """The window ends in ``(after, watermark]`` whose windows hold any of ``times``."""
    ends: set[datetime] = set()
    last = floor_to_step(watermark, step)
    for moment in times:
        end = floor_to_step(moment, step) + step
        while end <= moment + window and end <= last:
            if after is None or end > after:
                ends.add(end)
            end += step
    return sorted(ends)


def aggregate(
    observations: Sequence[Observation], ends: Sequence[datetime], window: timedelta
) -> dict[datetime, dict[str, dict[str, float]]]:
    """Each window's points: ``{end: {key: {volume, mean_sentiment, share_negative}}}``.

    ``observations`` must be sorted by time.
    """
    times = [o.time for o in observations]
    points: dict[datetime, dict[str, dict[str, float]]] = {}
    for end in ends:
        totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        for o in observations[bisect_left(times, end - window) : bisect_left(times, end)]:
            total = totals[o.key]
            total[0] += 1
            total[1] += o.sentiment
            total[2] += o.negative
        points[end] = {
            key: {
                "volume": int(count),
                "mean_sentiment": round(summed / count, 6),
                "share_negative": round(negatives / count, 6),
            }
            for key, (count, summed, negatives) in totals.items()
        }
    return points
