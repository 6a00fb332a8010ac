"""One interface for every recommender model, and the two baselines.

A model is fitted on training :class:`~._data.Interactions` (and the items' text, for the
models that read it), then answers in item indices:

- :meth:`RecommenderModel.score` — ``[users, items]`` scores, higher is better (what the
  evaluator ranks; RecBole's ``full_sort_predict``);
- :meth:`RecommenderModel.recommend` — the top ``k`` unseen items of one user;
- :meth:`RecommenderModel.similar` — the items nearest one item.

Each saves to a directory (:meth:`RecommenderModel.save`, :func:`load_model`) holding an
``oi_model.json`` manifest (task ``recommendation``), so the model registry can hold it
like any saved model (``services.registry.register_directory``).
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from open_interpreter.apps.recommend._data import Interactions, ItemText
from open_interpreter.errors import ConfigError, DataError, ModelStateError
from open_interpreter.paths import MANIFEST

TASK = "recommendation"
STATE_FILE = "recommender.safetensors"
CONFIG_FILE = "recommender.json"
MODELS: dict[str, type[RecommenderModel]] = {}


class RecommenderModel(ABC):
    """Fit on interactions; score, recommend and find similar items by index.

    Subclasses set ``kind``, implement :meth:`_fit` and :meth:`score`, and list what they
    save in :meth:`_state` / :meth:`_restore`.
    """

    kind: ClassVar[str]
    base_model: ClassVar[str] = "none"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            MODELS[cls.kind] = cls

    def __init__(self) -> None:
        self.train: Interactions | None = None
        self.history: sparse.csr_matrix | None = None
        self.train_seconds = 0.0

    def fit(
        self, train: Interactions, item_text: ItemText | None = None, *, seed: int = 0
    ) -> RecommenderModel:
        """Learn from ``train`` (and ``item_text`` where the model reads content).

        Args:
            train: The training interactions; their users and items are the index space.
            item_text: The items' text, one entry per catalogue item.
            seed: Seeds any randomness.

        Returns:
            The fitted model (self).

        Raises:
            DataError: ``train`` is empty.
        """
        if not len(train):
            raise DataError("cannot fit a recommender on no interactions")
        started = time.perf_counter()
        self.train = train
        self.history = _history(train)
        self._fit(train, item_text, seed)
        self.train_seconds = time.perf_counter() - started
        return self

    @abstractmethod
    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None: ...

    @abstractmethod
    def score(self, users: np.ndarray) -> np.ndarray:
        """``[len(users), items]`` float32 scores of every item for each user index."""

    def item_vectors(self) -> np.ndarray | None:
        """``[items, dim]`` vectors that :meth:`similar` compares, or None."""
        return None

    def recommend(
        self, user: int, k: int = 10, *, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best items for user index ``user`` that they have not interacted with.

        Args:
            user: A user index.
            k: How many.
            exclude: ``[items]`` bool of further items never to return.

        Returns:
            ``(items, scores)``, best first.
        """
        scores = self.score(np.array([user]))[0].astype(np.float64)
        scores[self._fitted_history()[user].indices] = -np.inf
        if exclude is not None:
            scores[exclude] = -np.inf
        return _top(scores, k)

    def similar(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items most similar to item index ``item`` (cosine of item vectors).

        Raises:
            ConfigError: The model has no item vectors (most-popular).
        """
        vectors = self.item_vectors()
        if vectors is None:
            raise ConfigError(f"the {self.kind} model has no notion of similar items")
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        scores = (unit @ unit[item]).astype(np.float64)
        scores[item] = -np.inf
        return _top(scores, k)

    def _fitted_history(self) -> sparse.csr_matrix:
        if self.history is None:
            raise ModelStateError(f"the {self.kind} model is not fitted: call fit() first")
        return self.history

    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _config(self) -> dict[str, Any]:
        return {}

    def _restore(self, state: dict[str, np.ndarray]) -> None:  # noqa: B027 - optional hook
        """Set the learned arrays back from :meth:`_state`'s output (none by default)."""

    def save(self, path: Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write the model to a directory the registry can register.

        Args:
            path: The directory (created; files in it are overwritten).
            metrics: Evaluation figures to keep beside it (``metrics.json``).

        Returns:
            ``path``.
        """
        from safetensors.numpy import save_file

        self._fitted_history()
        train = self.train
        assert train is not None  # set with the history
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            "train.user_index": train.user_index,
            "train.item_index": train.item_index,
            "train.timestamp": train.timestamp,
            **{f"model.{name}": np.ascontiguousarray(v) for name, v in self._state().items()},
        }
        save_file(state, str(path / STATE_FILE))
        config = {
            "kind": self.kind,
            "options": self._config(),
            "users": train.users,
            "items": train.items,
            "train_seconds": self.train_seconds,
        }
        (path / CONFIG_FILE).write_text(json.dumps(config))
        manifest = {"task": TASK, "base_model": self.base_model, "recommender": self.kind}
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if metrics is not None:
            (path / "metrics.json").write_text(json.dumps(metrics, indent=2))
        return path


def load_model(path: Path) -> RecommenderModel:
    """Load a model saved by :meth:`RecommenderModel.save`.

    Raises:
        ConfigError: ``path`` holds no saved recommender, or one of an unknown kind.
    """
    from safetensors.numpy import load_file

    path = Path(path)
    if not (path / CONFIG_FILE).is_file() or not (path / STATE_FILE).is_file():
        raise ConfigError(f"{path} is not a saved recommender (no {CONFIG_FILE})")
    config = json.loads((path / CONFIG_FILE).read_text())
    kind = config.get("kind")
    if kind not in MODELS:
        raise ConfigError(f"{path} holds an unknown recommender kind {kind!r}")
    state = load_file(str(path / STATE_FILE))
    model = MODELS[kind](**config.get("options", {}))
    model.train = Interactions(
        config["users"],
        config["items"],
        state["train.user_index"],
        state["train.item_index"],
        state["train.timestamp"],
    )
    model.history = _history(model.train)
    model.train_seconds = float(config.get("train_seconds", 0.0))
    model._restore({k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")})
    return model


def _history(train: Interactions) -> sparse.csr_matrix:
    ones = np.ones(len(train), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (ones, (train.user_index, train.item_index)), shape=(train.n_users, train.n_items)
    )
    matrix.data[:] = 1.0  # repeated interactions count once
    return matrix


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k=}")
    order = np.argsort(-scores, kind="stable")[:k]
    order = order[np.isfinite(scores[order])]
    return order, scores[order]


class MostPopular(RecommenderModel):
    """Every user gets the items most users interacted with."""

    kind = "popular"

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        self.counts = np.asarray(self._fitted_history().sum(axis=0)).ravel().astype(np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), len(self.counts)))

    def _state(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.counts = state["counts"]


class ItemKNN(RecommenderModel):
    """Item-based nearest neighbours: cosine similarity of items' user columns.

    A user's score for an item is the sum of its similarities to the user's items, keeping
    each item's ``neighbours`` most similar items (RecBole's ``ItemKNN``, ``k=100``,
    ``shrink=0``).

    Args:
        neighbours: Similar items kept per item.
        shrink: Added to the cosine's denominator, damping similarities of rare items.
    """

    kind = "itemknn"

    def __init__(self, neighbours: int = 100, shrink: float = 0.0) -> None:
        super().__init__()
        if neighbours < 1 or shrink < 0:
            raise ConfigError(f"need neighbours >= 1 and shrink >= 0, got {neighbours=}, {shrink=}")
        self.neighbours = neighbours
        self.shrink = shrink

    def _fit(self, train: Interactions, item_text: ItemText | None, seed: int) -> None:
        history = self._fitted_history()
        norms = np.sqrt(np.asarray(history.sum(axis=0)).ravel())
        overlap = (history.T @ history).toarray()
        similarity = overlap / (np.outer(norms, norms) + self.shrink + 1e-12)
        np.fill_diagonal(similarity, 0.0)
        keep = min(self.neighbours, similarity.shape[0] - 1)
        # the keep largest per column, so that score = history @ similarity
        cut = np.partition(similarity, -keep, axis=0)[-keep]
        similarity[similarity < cut[None, :]] = 0.0
        self.similarity = similarity.astype(np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self._fitted_history()[users] @ self.similarity, dtype=np.float32)

    def item_vectors(self) -> np.ndarray:
        return self.similarity.T

    def similar(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        scores = self.similarity[:, item].astype(np.float64)
        scores[item] = -np.inf
        return _top(scores, k)

    def _config(self) -> dict[str, Any]:
        return {"neighbours": self.neighbours, "shrink": self.shrink}

    def _state(self) -> dict[str, np.ndarray]:
        return {"similarity": self.similarity}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.similarity = state["similarity"]
