"""Feedback events as training interactions: what users did with recommendations, learned from.

:func:`add_feedback` appends the positive events (``view``, ``click``, ``like``,
``purchase``, and a ``rating`` of at least :data:`LIKED_RATING` or without a value) to a
data set's interactions, at the time each was recorded; ``dislike``, ``skip`` and low
ratings are not interactions and are only counted. A user seen first in the feedback
joins the index space; an event on an item outside the data's catalogue is skipped (and
counted). Nothing here touches a database: :mod:`.store` reads the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from open_interpreter.apps.recommend._data import Interactions, RecommendationData

POSITIVE_TYPES = ("view", "click", "like", "purchase", "rating")
LIKED_RATING = 3.0


@dataclass(frozen=True)
class Event:
    """One feedback event, as training reads it."""

    id: int
    user_id: str
    item_id: str
    type: str
    value: float | None
    created_at: datetime


def is_positive(event: Event) -> bool:
    """Whether the event says the user wanted the item."""
    if event.type not in POSITIVE_TYPES:
        return False
    return event.type != "rating" or event.value is None or event.value >= LIKED_RATING


def add_feedback(
    data: RecommendationData, events: Iterable[Event]
) -> tuple[RecommendationData, dict[str, Any]]:
    """``data`` with the positive feedback events appended as interactions.

    Args:
        data: The original interactions and item text (the catalogue stays as it is).
        events: Feedback events, any order.

    Returns:
        The new data, and a summary for the version's lineage: events read, interactions
        added, events not used (negative, unknown item), new users, the last event id.
    """
    inter = data.interactions
    events = sorted(events, key=lambda e: e.id)
    users = list(inter.users)
    lookup = {u: i for i, u in enumerate(users)}
    added_users, added_items, added_times = [], [], []
    negative = unknown_item = 0
    for event in events:
        if not is_positive(event):
            negative += 1
            continue
        item = inter.item_position(event.item_id)
        if item is None:
            unknown_item += 1
            continue
        if event.user_id not in lookup:
            lookup[event.user_id] = len(users)
            users.append(event.user_id)
        added_users.append(lookup[event.user_id])
        added_items.append(item)
        added_times.append(_seconds(event.created_at))
    grown = Interactions(
        users=users,
        items=inter.items,
        user_index=np.concatenate([inter.user_index, np.array(added_users, dtype=np.int64)]),
        item_index=np.concatenate([inter.item_index, np.array(added_items, dtype=np.int64)]),
        timestamp=np.concatenate([inter.timestamp, np.array(added_times, dtype=np.float64)]),
    )
    summary = {
        "events": len(events),
        "interactions_added": len(added_users),
        "not_positive": negative,
        "unknown_items": unknown_item,
        "new_users": len(users) - inter.n_users,
        "through_event_id": events[-1].id if events else None,
    }
    return RecommendationData(grown, data.item_text), summary


def _seconds(moment: datetime) -> float:
    """Seconds since 1970 of a stored time (stored without a zone, in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
