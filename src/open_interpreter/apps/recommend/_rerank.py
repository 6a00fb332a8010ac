"""The spec's own design as a re-ranker: a sentence-pair model over (recent items, candidate).

A retrieval model (the hybrid, by default) proposes each user's top ``candidates`` unseen
items. A pretrained encoder fine-tuned with the platform's sentence-pair head (the
training recipe, :func:`open_interpreter.training.recipe.fine_tune`) reads
``(the user's recent items as text, a candidate's text)`` and says whether the user
interacted with the candidate next. A final ranker (logistic regression) combines its
probability with the retrieval score, the candidate's popularity and its recency (how
long ago anyone last interacted with it), and re-orders the candidates.

Held-out data, with leave-last-out (no user's test item is seen before the test):

- the pair model learns from half of the users' *validation* items (positive: the
  validation item; negatives: other retrieval candidates of that user);
- the final ranker learns from the other half's validation items;
- both orders are scored on the *test* items of the users, with the history grown by the
  validation item, and the gain is re-ranked minus first order per user (bootstrap
  interval over users). A test item outside the candidates is a miss for both orders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from open_interpreter.apps.recommend._data import ItemText
from open_interpreter.apps.recommend._evaluate import bootstrap_interval
from open_interpreter.apps.recommend._models import RecommenderModel
from open_interpreter.apps.recommend._splits import Split
from open_interpreter.errors import DataError

POSITIVE, NEGATIVE = "next", "other"


@dataclass
class RerankReport:
    """How re-ranking changed the retrieval's order on the test items.

    Attributes:
        users: Test users scored.
        candidates: Items re-ranked per user.
        first_order: ``recall@10``, ``ndcg@10``, ``mrr`` of the retrieval's order.
        reranked: The same after re-ranking.
        gain: Re-ranked minus first order, per metric.
        intervals: Metric → 95% bootstrap interval of the per-user gain.
        weights: The final ranker's weight of each feature (standardised features).
        pair_model_seconds: Time to fine-tune the pair model.
        settings: What was run.
    """

    users: int
    candidates: int
    first_order: dict[str, float]
    reranked: dict[str, float]
    gain: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    weights: dict[str, float]
    pair_model_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)


def recent_text(texts: list[str], history: np.ndarray, recent: int) -> str:
    """The user's last ``recent`` items (oldest first) as one text."""
    return " | ".join(texts[i] for i in history[-recent:])


def _ordered_history(train: Any, user: int) -> np.ndarray:
    mine = np.flatnonzero(train.user_index == user)
    return train.item_index[mine[np.argsort(train.timestamp[mine], kind="stable")]]


def _candidates(model: RecommenderModel, users: np.ndarray, seen: Any, n: int) -> np.ndarray:
    scores = np.asarray(model.score(users), dtype=np.float64)
    for row, user in enumerate(users):
        scores[row, seen[user].indices] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :n], scores


def _features(
    pair_probability: np.ndarray,
    retrieval: np.ndarray,
    popularity: np.ndarray,
    last_seen: np.ndarray,
) -> np.ndarray:
    """Per candidate: pair probability, retrieval score (z within the user's list), log
    popularity, recency."""
    z = (retrieval - retrieval.mean(axis=1, keepdims=True)) / (
        retrieval.std(axis=1, keepdims=True) + 1e-9
    )
    return np.stack([pair_probability, z, np.log1p(popularity), last_seen], axis=-1).reshape(-1, 4)


def _order_metrics(ranks: np.ndarray, k: int = 10) -> dict[str, np.ndarray]:
    """Per user, from the 0-based rank of the target in the list (-1: not in it)."""
    found = ranks >= 0
    inside = found & (ranks < k)
    return {
        f"recall@{k}": inside.astype(float),
        f"ndcg@{k}": np.where(inside, 1.0 / np.log2(ranks + 2.0), 0.0),
        "mrr": np.where(found, 1.0 / (np.maximum(ranks, 0) + 1.0), 0.0),
    }


def evaluate_reranker(
    split: Split,
    item_text: ItemText,
    retrieval: RecommenderModel,
    pair_model: str,
    *,
    candidates: int = 20,
    negatives: int = 3,
    recent: int = 3,
    users: int | None = None,
    epochs: float = 1,
    batch_size: int = 16,
    max_length: int = 128,
    learning_rate: float = 5e-5,
    seed: int = 0,
    num_threads: int | None = None,
) -> RerankReport:
    """Fine-tune the pair model, fit the final ranker, and measure the gain on test items.

    Args:
        split: A leave-last-out split (validation and test items per user).
        item_text: The items' text.
        retrieval: A model fitted on ``split.train`` that proposes candidates.
        pair_model: The pretrained encoder to fine-tune (a name or directory).
        candidates: Items the retrieval proposes per user.
        negatives: Non-next candidates per positive in the pair model's training data.
        recent: History items in the pair's first text.
        users: Score at most this many (seeded sample) users; None: all.
        epochs, batch_size, max_length, learning_rate: The pair model's fine-tune.
        seed: Seeds the user halves, negatives and training.
        num_threads: Torch threads for the fine-tune.

    Raises:
        DataError: The split has no validation or test items, or too few users.
    """
    from sklearn.linear_model import LogisticRegression

    from open_interpreter.bundle import ModelBundle
    from open_interpreter.config import FineTuneConfig
    from open_interpreter.inference import predict
    from open_interpreter.training.recipe import fine_tune

    if not len(split.validation) or not len(split.test):
        raise DataError("re-ranking needs a split with validation and test items")
    rng = np.random.default_rng(seed)
    texts = item_text.texts()
    everyone = np.intersect1d(split.validation.user_index, split.test.user_index)
    if users is not None and users < len(everyone):
        everyone = np.sort(rng.choice(everyone, size=users, replace=False))
    if len(everyone) < 4:
        raise DataError(
            f"re-ranking needs at least 4 users with validation and test items, got {len(everyone)}"
        )
    shuffled = rng.permutation(everyone)
    pair_users, ranker_users = np.sort(shuffled[::2]), np.sort(shuffled[1::2])
    validation_item = dict(
        zip(split.validation.user_index, split.validation.item_index, strict=True)
    )
    test_item = dict(zip(split.test.user_index, split.test.item_index, strict=True))
    seen = retrieval._fitted_history()
    popularity = np.asarray(seen.sum(axis=0)).ravel()
    last = np.full(split.train.n_items, split.train.timestamp.min())
    np.maximum.at(last, split.train.item_index, split.train.timestamp)
    span = max(split.train.timestamp.max() - split.train.timestamp.min(), 1.0)
    recency = (last - split.train.timestamp.max()) / span  # 0: just now, -1: the oldest

    # 1. the pair model, on the first half's validation items
    proposed, _ = _candidates(retrieval, pair_users, seen, candidates)
    pairs, labels = [], []
    for row, user in enumerate(pair_users):
        context = recent_text(texts, _ordered_history(split.train, user), recent)
        target = validation_item[user]
        others = [i for i in proposed[row] if i != target]
        drawn = rng.choice(others, size=min(negatives, len(others)), replace=False)
        pairs += [(context, texts[target])] + [(context, texts[i]) for i in drawn]
        labels += [POSITIVE] + [NEGATIVE] * len(drawn)
    config = FineTuneConfig(
        model=pair_model,
        epochs=epochs,
        batch_size=batch_size,
        max_length=max_length,
        learning_rate=learning_rate,
        seed=seed,
        num_threads=num_threads,
    )
    bundle = ModelBundle(model_name=pair_model, config=config)
    started = time.perf_counter()
    fine_tune(bundle, pairs, labels)
    pair_seconds = time.perf_counter() - started

    def probabilities(context_of: Any, lists: np.ndarray) -> np.ndarray:
        flat = [(context_of[r], texts[i]) for r in range(len(lists)) for i in lists[r]]
        scored = predict(bundle, flat)
        return np.array([p.scores[POSITIVE] for p in scored]).reshape(lists.shape)

    def features_of(user_rows: np.ndarray, extra: dict[int, int] | None) -> tuple:
        history = seen if extra is None else _grown(seen, extra)
        lists, scores = _candidates(retrieval, user_rows, history, candidates)
        contexts = []
        for user in user_rows:
            items = _ordered_history(split.train, user)
            if extra is not None:
                items = np.append(items, extra[user])
            contexts.append(recent_text(texts, items, recent))
        taken = np.take_along_axis(scores, lists, axis=1)
        probs = probabilities(contexts, lists)
        return lists, taken, _features(probs, taken, popularity[lists], recency[lists])

    # 2. the final ranker, on the second half's validation items
    lists, _, x = features_of(ranker_users, None)
    y = (lists == np.array([validation_item[u] for u in ranker_users])[:, None]).ravel()
    if y.all() or not y.any():
        raise DataError("the retrieval's candidates never (or always) hold the next item")
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    ranker = LogisticRegression(max_iter=1000).fit((x - mean) / std, y)

    # 3. both orders on the test items, history grown by the validation item
    lists, _, x = features_of(everyone, validation_item)
    combined = ranker.decision_function((x - mean) / std).reshape(lists.shape)
    target = np.array([test_item[u] for u in everyone])[:, None]
    first_rank = _rank_of(lists, target)
    new_order = np.take_along_axis(lists, np.argsort(-combined, axis=1, kind="stable"), axis=1)
    new_rank = _rank_of(new_order, target)
    before, after = _order_metrics(first_rank), _order_metrics(new_rank)
    names = ["pair_probability", "retrieval_score", "log_popularity", "recency"]
    return RerankReport(
        users=len(everyone),
        candidates=candidates,
        first_order={k: float(v.mean()) for k, v in before.items()},
        reranked={k: float(v.mean()) for k, v in after.items()},
        gain={k: float((after[k] - before[k]).mean()) for k in before},
        intervals={k: bootstrap_interval(after[k] - before[k], seed=seed) for k in before},
        weights=dict(zip(names, map(float, ranker.coef_[0]), strict=True)),
        pair_model_seconds=pair_seconds,
        settings={
            "pair_model": pair_model,
            "retrieval": retrieval.kind,
            "candidates": candidates,
            "negatives": negatives,
            "recent": recent,
            "epochs": epochs,
            "batch_size": batch_size,
            "max_length": max_length,
            "learning_rate": learning_rate,
            "seed": seed,
            "pair_training_pairs": len(pairs),
            "pair_users": len(pair_users),
            "ranker_users": len(ranker_users),
        },
    )


def _grown(seen: Any, extra: dict[int, int]) -> Any:
    grown = seen.tolil(copy=True)
    for user, item in extra.items():
        grown[user, item] = 1.0
    return grown.tocsr()


def _rank_of(lists: np.ndarray, target: np.ndarray) -> np.ndarray:
    hit = lists == target
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
