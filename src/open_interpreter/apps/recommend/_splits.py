"""How recommenders are tested: leave-last-out, and a cold-start split of hidden items.

- :func:`leave_last_out`: each user's last interaction by time is the test target, the
  second last the validation target, the rest is training (RecBole's ``LS`` split with
  ``order: TO``). Users with fewer than 3 interactions stay wholly in training.
- :func:`cold_start_split`: a seeded share of the items has every interaction hidden
  from training; the test asks, for each user who touched them, to rank the hidden items
  from the user's (warm) training history. Only a model that reads the items' content can
  do better than chance there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from open_interpreter.apps.recommend._data import Interactions
from open_interpreter.errors import ConfigError, DataError


@dataclass(frozen=True)
class Split:
    """Training interactions and held-out targets, all in one index space.

    Attributes:
        train: What models learn from.
        validation: Held-out interactions for choosing settings (may be empty).
        test: Held-out interactions to report.
        candidates: ``[items]`` bool: the items a test ranks (all of them, or the hidden
            items of a cold-start split).
    """

    train: Interactions
    validation: Interactions
    test: Interactions
    candidates: np.ndarray


def leave_last_out(interactions: Interactions) -> Split:
    """Each user's last interaction is the test, the second last validation, the rest training.

    Ties in time are broken by the order of the file, so the split is deterministic.

    Raises:
        DataError: No user has 3 interactions.
    """
    order = np.lexsort(
        (np.arange(len(interactions)), interactions.timestamp, interactions.user_index)
    )
    users = interactions.user_index[order]
    counts = np.bincount(users, minlength=interactions.n_users)
    if not (counts >= 3).any():
        raise DataError("leave-last-out needs users with at least 3 interactions")
    ends = np.cumsum(counts)
    from_end = ends[users] - np.arange(len(order))  # 1 for each user's last interaction
    eligible = counts[users] >= 3
    role = np.zeros(len(order), dtype=np.int8)
    role[eligible & (from_end == 2)] = 1
    role[eligible & (from_end == 1)] = 2
    roles = np.empty_like(role)
    roles[order] = role
    return Split(
        train=interactions.subset(roles == 0),
        validation=interactions.subset(roles == 1),
        test=interactions.subset(roles == 2),
        candidates=np.ones(interactions.n_items, dtype=bool),
    )


def cold_start_split(
    interactions: Interactions, *, share: float = 0.1, seed: int = 0, min_interactions: int = 5
) -> Split:
    """Hide every interaction of a seeded share of the items; test on ranking them.

    Args:
        interactions: All interactions.
        share: The fraction of the catalogue's items with at least ``min_interactions``
            to hide.
        seed: Picks the hidden items.
        min_interactions: Only items with this many interactions are hidden, so every
            hidden item has test users.

    Returns:
        A split whose ``test`` holds every interaction with a hidden item (by users who
        keep at least one training interaction), ``validation`` is empty, and
        ``candidates`` marks the hidden items.

    Raises:
        ConfigError: ``share`` is not in (0, 1).
        DataError: Too few items qualify to hide two of them.
    """
    if not 0 < share < 1:
        raise ConfigError(f"share must be between 0 and 1, got {share=}")
    counts = np.bincount(interactions.item_index, minlength=interactions.n_items)
    eligible = np.flatnonzero(counts >= min_interactions)
    n_hidden = round(share * len(eligible))
    if n_hidden < 2:
        raise DataError(
            f"a cold-start split needs at least 2 items with {min_interactions}+ interactions "
            f"to hide, got {n_hidden} (of {len(eligible)} eligible items at {share=})"
        )
    hidden = np.zeros(interactions.n_items, dtype=bool)
    hidden[np.random.default_rng(seed).choice(eligible, size=n_hidden, replace=False)] = True
    is_hidden = hidden[interactions.item_index]
    train = interactions.subset(~is_hidden)
    has_history = np.bincount(train.user_index, minlength=interactions.n_users) > 0
    test = interactions.subset(is_hidden & has_history[interactions.user_index])
    return Split(
        train=train,
        validation=interactions.subset(np.zeros(len(interactions), bool)),
        test=test,
        candidates=hidden,
    )


def random_split(
    interactions: Interactions,
    *,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Split:
    """Each user's interactions shuffled and cut by ``ratios`` into train, validation, test.

    RecBole's ``RS`` split with ``group_by: user``, ``order: RO`` — the protocol of the
    BPR figures in its quick-start guide — so figures can be compared with its own.

    Raises:
        ConfigError: ``ratios`` are not three non-negative numbers summing to 1.
    """
    if len(ratios) != 3 or min(ratios) < 0 or abs(sum(ratios) - 1) > 1e-6:
        raise ConfigError(f"ratios must be 3 non-negative numbers summing to 1, got {ratios=}")
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(interactions)), interactions.user_index))
    users = interactions.user_index[order]
    counts = np.bincount(users, minlength=interactions.n_users)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(order)) - starts[users]
    train_end = np.floor(counts * ratios[0])[users]
    valid_end = np.floor(counts * (ratios[0] + ratios[1]))[users]
    role = np.where(position < train_end, 0, np.where(position < valid_end, 1, 2))
    roles = np.empty_like(role)
    roles[order] = role
    return Split(
        train=interactions.subset(roles == 0),
        validation=interactions.subset(roles == 1),
        test=interactions.subset(roles == 2),
        candidates=np.ones(interactions.n_items, dtype=bool),
    )
