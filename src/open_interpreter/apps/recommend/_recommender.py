"""The recommender as a user meets it: fit, recommend for a user id, find similar items.

:class:`Recommender` wraps one fitted model with the data's ids and the items' text, so
callers speak in their own ids (``"196"``, not index 195) and get titles back. A user the
model has never seen gets the most popular items, and the answer says so.

Example:
    >>> rec = Recommender.fit(load_movielens_100k(), model="itemknn")  # doctest: +SKIP
    >>> rec.recommend("196", k=3).items  # doctest: +SKIP
    [Recommendation(item_id='...', title='...', score=..., reason='...'), ...]
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from open_interpreter.apps.recommend._data import Interactions, ItemText, RecommendationData
from open_interpreter.apps.recommend._models import MODELS, RecommenderModel, load_model
from open_interpreter.errors import ConfigError, DataError, NotFoundError

TEXT_FILE = "items.json"


@dataclass(frozen=True)
class Recommendation:
    """One recommended (or similar) item."""

    item_id: str
    title: str
    score: float
    genres: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class Recommendations:
    """A ranked list, and how it was made.

    Attributes:
        user_id: Who it is for (None for similar-item lists).
        items: Best first.
        fallback: Why the list is not personal (an unknown user), or None.
        model: The model kind that ranked it.
    """

    user_id: str | None
    items: list[Recommendation]
    fallback: str | None
    model: str


class Recommender:
    """A fitted recommender speaking in item and user ids.

    Build one with :meth:`fit` or :meth:`load`.
    """

    def __init__(self, model: RecommenderModel, item_text: ItemText) -> None:
        self.model = model
        self.item_text = item_text
        history = model._fitted_history()
        self._popularity = np.asarray(history.sum(axis=0)).ravel()

    @classmethod
    def fit(
        cls,
        data: RecommendationData,
        *,
        model: str | RecommenderModel = "hybrid",
        seed: int = 0,
        **options: Any,
    ) -> Recommender:
        """Fit a model on every interaction in ``data``.

        Args:
            data: Interactions and item text (e.g. :func:`load_movielens_100k`).
            model: A kind (``popular``, ``itemknn``, ``bpr``, ``content``, ``hybrid``) or a
                model object.
            seed: Seeds training.
            **options: The model's settings (e.g. ``epochs=5``), for a kind given by name.

        Raises:
            ConfigError: An unknown kind.
        """
        if isinstance(model, str):
            if model not in MODELS:
                raise ConfigError(
                    f"unknown recommender {model!r}; choose from {', '.join(sorted(MODELS))}"
                )
            model = MODELS[model](**options)
        model.fit(data.interactions, data.item_text, seed=seed)
        return cls(model, data.item_text)

    @classmethod
    def load(cls, path: Path) -> Recommender:
        """Load a recommender saved by :meth:`save`."""
        import json

        path = Path(path)
        model = load_model(path)
        if not (path / TEXT_FILE).is_file():
            raise ConfigError(f"{path} has no {TEXT_FILE}: not saved by Recommender.save")
        text = json.loads((path / TEXT_FILE).read_text())
        return cls(model, ItemText(text["titles"], text["years"], text["genres"]))

    def save(self, path: Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Save the model and the items' text to ``path`` (a registrable model directory)."""
        import json

        path = self.model.save(path, metrics=metrics)
        text = {
            "titles": self.item_text.titles,
            "years": self.item_text.years,
            "genres": self.item_text.genres,
        }
        (path / TEXT_FILE).write_text(json.dumps(text))
        return path

    def recommend(
        self,
        user_id: str,
        k: int = 10,
        *,
        exclude: Collection[str] = (),
        genres: Sequence[str] | None = None,
        min_year: int | None = None,
        max_year: int | None = None,
    ) -> Recommendations:
        """The ``k`` best items for ``user_id`` that they have not interacted with yet.

        Args:
            user_id: The user's id. An unknown user gets the most popular items
                (``fallback`` says so).
            k: How many (1 to 1000).
            exclude: Item ids never to return.
            genres: Keep only items with at least one of these genres.
            min_year: Keep only items released in or after this year.
            max_year: Keep only items released in or before this year.

        Raises:
            ConfigError: ``k`` is out of range.
            NotFoundError: An excluded item id is not in the catalogue.
        """
        if not 1 <= k <= 1000:
            raise ConfigError(f"k must be between 1 and 1000, got {k=}")
        blocked = self._filtered_out(genres, min_year, max_year)
        blocked[[self._item(item) for item in exclude]] = True
        user = self._train.user_position(user_id)
        if user is None:
            scores = self._popularity.astype(np.float64)
            scores[blocked] = -np.inf
            order = np.argsort(-scores, kind="stable")[:k]
            order = order[np.isfinite(scores[order])]
            fallback = f"unknown user {user_id!r}: showing the most popular items"
            reasons = [f"popular: {int(self._popularity[i])} users chose it" for i in order]
            return Recommendations(
                str(user_id), self._described(order, scores[order], reasons), fallback, "popular"
            )
        items, scores = self.model.recommend(user, k, exclude=blocked)
        reasons = self._reasons(user, items)
        return Recommendations(
            str(user_id), self._described(items, scores, reasons), None, self.model.kind
        )

    def _reasons(self, user: int, items: np.ndarray) -> list[str]:
        """Why each item: the history item most like it (by the model's item vectors, or
        its text for the content model), or its popularity for most-popular."""
        vectors = self.model.item_vectors()
        mine = self.model._fitted_history()[user].indices
        if vectors is None or not len(mine) or not len(items):
            return [f"popular: {int(self._popularity[i])} users chose it" for i in items]
        similarity = getattr(self.model, "similarity", None)
        if similarity is not None:  # item-kNN: the neighbour that scored it most
            closest = mine[np.argmax(similarity[np.ix_(mine, items)], axis=0)]
        else:
            closest = mine[np.argmax(_unit(vectors[items]) @ _unit(vectors[mine]).T, axis=1)]
        if self.model.kind == "content":
            return [f"content: its text is close to {self.item_text.titles[c]!r}" for c in closest]
        return [f"similar items: like {self.item_text.titles[c]!r}" for c in closest]

    def similar(self, item_id: str, k: int = 10) -> Recommendations:
        """The ``k`` items most like ``item_id``, by the model's own item similarity.

        Raises:
            NotFoundError: ``item_id`` is not in the catalogue.
            ConfigError: The model has no notion of similarity (most-popular).
        """
        item = self._item(item_id)
        items, scores = self.model.similar(item, k)
        basis = "text" if self.model.kind == "content" else f"{self.model.kind} item vectors"
        reasons = [f"similar to {self.item_text.titles[item]!r} by {basis}"] * len(items)
        return Recommendations(None, self._described(items, scores, reasons), None, self.model.kind)

    def history(self, user_id: str) -> list[Recommendation]:
        """The items ``user_id`` interacted with in the training data, oldest first.

        Raises:
            NotFoundError: The user is unknown.
            DataError: The user has no interactions.
        """
        user = self._train.user_position(user_id)
        if user is None:
            raise NotFoundError(f"unknown user {user_id!r}")
        train = self._train
        mine = np.flatnonzero(train.user_index == user)
        if not len(mine):
            raise DataError(f"user {user_id!r} has an empty history")
        mine = mine[np.argsort(train.timestamp[mine], kind="stable")]
        return self._described(train.item_index[mine], np.zeros(len(mine)))

    @property
    def _train(self) -> Interactions:
        assert self.model.train is not None
        return self.model.train

    def _item(self, item_id: str) -> int:
        position = self._train.item_position(item_id)
        if position is None:
            raise NotFoundError(f"unknown item {item_id!r}: it is not in the catalogue")
        return position

    def _filtered_out(
        self, genres: Sequence[str] | None, min_year: int | None, max_year: int | None
    ) -> np.ndarray:
        blocked = np.zeros(self._train.n_items, dtype=bool)
        if genres:
            wanted = {g.lower() for g in genres}
            blocked |= np.array(
                [not wanted & {g.lower() for g in have} for have in self.item_text.genres]
            )
        if min_year is not None or max_year is not None:
            years = np.array([int(y) if y.isdigit() else -1 for y in self.item_text.years])
            if min_year is not None:
                blocked |= years < min_year
            if max_year is not None:
                blocked |= (years > max_year) | (years < 0)
        return blocked

    def _described(
        self, items: np.ndarray, scores: np.ndarray, reasons: Sequence[str] | None = None
    ) -> list[Recommendation]:
        reasons = reasons if reasons is not None else [""] * len(items)
        return [
            Recommendation(
                item_id=self._train.items[item],
                title=self.item_text.titles[item],
                score=float(score),
                genres=list(self.item_text.genres[item]),
                reason=reason,
            )
            for item, score, reason in zip(items, scores, reasons, strict=True)
        ]


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (only the rows asked for: a whole item-kNN matrix is large)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
