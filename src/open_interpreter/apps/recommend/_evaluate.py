"""Full-ranking evaluation, as the recommender field reports it.

Every test user's scores over all candidate items are ranked, after removing the items
the user already has in training (and, for the test, the validation target), so a model
is never credited for recommending what the user has seen. Per user:

- ``recall@k``: the share of the user's held-out items in the top ``k``;
- ``ndcg@k``: discounted gain of the hits in the top ``k`` over the best possible;
- ``mrr``: 1 / the rank of the first held-out item over the whole ranking (not cut at k);
- ``mrr@k``: the same, 0 beyond ``k`` (RecBole's ``MRR@10``);

and over the catalogue, ``coverage@k``: the share of candidate items that appear in at
least one user's top ``k``. Ties are broken in a seeded random order, so results are
deterministic. A metric's 95% confidence interval is a seeded percentile bootstrap over
the test users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from open_interpreter.apps.recommend._data import Interactions
from open_interpreter.apps.recommend._splits import Split
from open_interpreter.errors import DataError

PER_USER_METRICS = ("recall", "ndcg", "mrr", "mrr_at_k")


@dataclass
class RankingReport:
    """Ranking metrics of one model on one split.

    Attributes:
        k: The cut-off of the @k metrics.
        users: How many test users were ranked for.
        metrics: ``recall@k``, ``ndcg@k``, ``mrr``, ``mrr@k``, ``coverage@k`` (0..1).
        intervals: Metric → (low, high) 95% bootstrap interval over users.
        per_user: Metric → ``[users]`` values (kept for significance tests, not saved).
    """

    k: int
    users: int
    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    per_user: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        """The report as JSON-ready data (without the per-user values)."""
        return {
            "k": self.k,
            "users": self.users,
            "metrics": self.metrics,
            "intervals": {name: list(pair) for name, pair in self.intervals.items()},
        }


def evaluate_ranking(
    score: Callable[[np.ndarray], np.ndarray],
    split: Split,
    *,
    on: str = "test",
    k: int = 10,
    bootstrap: int = 1000,
    seed: int = 0,
    batch_users: int = 512,
) -> RankingReport:
    """Rank all candidate items for every user with a held-out item and score the ranking.

    Args:
        score: ``users [n] -> [n, items]`` scores (higher is better), e.g. ``model.score``.
        split: The split: its training interactions are masked out of every ranking.
        on: ``"test"`` or ``"validation"``; the test also masks the validation items.
        k: The cut-off.
        bootstrap: Bootstrap resamples for the intervals (0: no intervals).
        seed: Seeds the bootstrap and the order of tied scores.
        batch_users: Users scored at a time (memory bound: ``batch_users × items`` floats).

    Returns:
        The report.

    Raises:
        DataError: The split has no held-out interactions to rank for.
    """
    held_out = split.test if on == "test" else split.validation
    if on not in ("test", "validation"):
        raise DataError(f"on must be 'test' or 'validation', got {on=}")
    if not len(held_out):
        raise DataError(f"the split has no {on} interactions to rank")
    users = np.unique(held_out.user_index)
    seen = _user_item_mask(split.train, users)
    if on == "test" and len(split.validation):
        seen |= _user_item_mask(split.validation, users)
    targets = _user_item_mask(held_out, users)
    per_user = {name: np.zeros(len(users)) for name in PER_USER_METRICS}
    in_top = np.zeros(split.train.n_items, dtype=bool)
    # equal scores are ranked in a seeded random order, drawn for each user: an order by
    # item index would credit a model for whatever ids correlate with (here, popularity)
    ties = np.random.default_rng(seed)
    for start in range(0, len(users), batch_users):
        rows = slice(start, start + batch_users)
        scores = np.asarray(score(users[rows]), dtype=np.float64)
        scores = np.where(seen[rows] | ~split.candidates, -np.inf, scores)
        order = np.lexsort((ties.random(scores.shape), -scores), axis=1)
        reachable = targets[rows] & ~seen[rows] & split.candidates
        n_targets = targets[rows].sum(axis=1)
        for name, values in _rank_metrics(order, reachable, n_targets, k).items():
            per_user[name][rows] = values
        in_top[order[:, :k].ravel()] = True
    metrics = {
        f"recall@{k}": per_user["recall"].mean(),
        f"ndcg@{k}": per_user["ndcg"].mean(),
        "mrr": per_user["mrr"].mean(),
        f"mrr@{k}": per_user["mrr_at_k"].mean(),
        f"coverage@{k}": (in_top & split.candidates).sum() / split.candidates.sum(),
    }
    named = {
        f"recall@{k}": per_user["recall"],
        f"ndcg@{k}": per_user["ndcg"],
        "mrr": per_user["mrr"],
        f"mrr@{k}": per_user["mrr_at_k"],
    }
    intervals = (
        {name: bootstrap_interval(v, resamples=bootstrap, seed=seed) for name, v in named.items()}
        if bootstrap
        else {}
    )
    return RankingReport(k, len(users), {n: float(v) for n, v in metrics.items()}, intervals, named)


def _user_item_mask(interactions: Interactions, users: np.ndarray) -> np.ndarray:
    row_of = np.full(interactions.n_users, -1)
    row_of[users] = np.arange(len(users))
    rows = row_of[interactions.user_index]
    keep = rows >= 0
    mask = np.zeros((len(users), interactions.n_items), dtype=bool)
    mask[rows[keep], interactions.item_index[keep]] = True
    return mask


def _rank_metrics(
    order: np.ndarray, reachable: np.ndarray, n_targets: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    # a target the user also has in training is masked out of the ranking: it cannot be
    # found and counts as a miss (n_targets still counts it), as in RecBole
    relevant = np.take_along_axis(reachable, order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits = relevant[:, :k]  # fewer than k columns where the catalogue is smaller than k
    discounts = discounts[: hits.shape[1]]
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_targets, hits.shape[1]) - 1]
    first = relevant.argmax(axis=1)
    reciprocal = np.where(relevant.any(axis=1), 1.0 / (first + 1), 0.0)
    return {
        "recall": hits.sum(axis=1) / n_targets,
        "ndcg": dcg / ideal,
        "mrr": reciprocal,
        "mrr_at_k": np.where(first < k, reciprocal, 0.0),
    }


def bootstrap_interval(
    values: np.ndarray, *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """A percentile bootstrap confidence interval for the mean of ``values``.

    Args:
        values: One value per unit (here: per test user).
        resamples: How many resamples with replacement.
        seed: Seeds the resampling.
        level: The interval's coverage.

    Returns:
        ``(low, high)``.
    """
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 100):
        count = min(100, resamples - start)
        means[start : start + count] = values[
            rng.integers(0, len(values), (count, len(values)))
        ].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
