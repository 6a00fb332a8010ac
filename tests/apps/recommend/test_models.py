"""Every model through one interface: fit, score, recommend, similar, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from open_interpreter.apps.recommend import (
    BPR,
    ContentModel,
    ItemKNN,
    MostPopular,
    TwoTower,
    cold_start_split,
    evaluate_ranking,
    leave_last_out,
    load_model,
)
from open_interpreter.errors import ConfigError, ModelStateError


def _models(vectors: np.ndarray) -> dict:
    return {
        "popular": MostPopular(),
        "itemknn": ItemKNN(neighbours=5),
        "bpr": BPR(dim=8, epochs=3, batch_size=32),
        "content": ContentModel(item_embeddings=vectors),
        "hybrid": TwoTower(item_embeddings=vectors, epochs=3, batch_size=16, extra_negatives=4),
    }


@pytest.mark.parametrize("kind", ["popular", "itemknn", "bpr", "content", "hybrid"])
def test_every_model_fits_recommends_and_reloads(
    kind, tiny_data, genre_vectors, tmp_path: Path
) -> None:
    model = _models(genre_vectors)[kind].fit(tiny_data.interactions, tiny_data.item_text, seed=0)
    users = np.arange(3)
    scores = model.score(users)
    assert scores.shape == (3, tiny_data.interactions.n_items) and np.isfinite(scores).all()
    items, ranked = model.recommend(0, k=4)
    seen = tiny_data.interactions.item_index[tiny_data.interactions.user_index == 0]
    assert len(items) == 4 and not np.isin(items, seen).any()
    assert np.all(np.diff(ranked) <= 0)
    model.save(tmp_path / kind)
    again = load_model(tmp_path / kind)
    assert type(again) is type(model)
    np.testing.assert_allclose(again.score(users), scores, rtol=1e-6)


def test_similar_items_share_the_genre(tiny_data, genre_vectors) -> None:
    for model in (ContentModel(item_embeddings=genre_vectors), ItemKNN(neighbours=5)):
        model.fit(tiny_data.interactions, tiny_data.item_text)
        items, _ = model.similar(0, k=3)
        assert 0 not in items
        assert all(i % 4 == 0 for i in items), (model.kind, items)  # genre of item 0
    with pytest.raises(ConfigError, match="no notion of similar"):
        MostPopular().fit(tiny_data.interactions).similar(0)


def test_personal_models_beat_popular_on_genre_fans(tiny_data, genre_vectors) -> None:
    split = leave_last_out(tiny_data.interactions)
    ndcg = {}
    for kind, model in _models(genre_vectors).items():
        model.fit(split.train, tiny_data.item_text, seed=0)
        ndcg[kind] = evaluate_ranking(model.score, split, bootstrap=0).metrics["ndcg@10"]
    for kind in ("itemknn", "content", "hybrid"):
        assert ndcg[kind] > ndcg["popular"] + 0.1, ndcg


def test_content_and_hybrid_rank_cold_items(tiny_data, genre_vectors) -> None:
    split = cold_start_split(tiny_data.interactions, share=0.25, seed=0, min_interactions=1)
    recall = {}
    for kind, model in _models(genre_vectors).items():
        model.fit(split.train, tiny_data.item_text, seed=0)
        recall[kind] = evaluate_ranking(model.score, split, k=2, bootstrap=0).metrics["recall@2"]
    assert recall["content"] > 0.5 and recall["hybrid"] > 0.5, recall
    assert recall["popular"] < recall["content"]


def test_unfitted_and_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelStateError, match="not fitted"):
        ItemKNN().recommend(0)
    with pytest.raises(ConfigError):
        BPR(dim=0)
    with pytest.raises(ConfigError):
        TwoTower(item_embeddings=np.zeros((2, 2)), temperature=0)
    with pytest.raises(ConfigError, match="not a saved recommender"):
        load_model(tmp_path)


def test_content_without_text_or_vectors_is_a_data_error(tiny_data) -> None:
    from open_interpreter.errors import DataError

    with pytest.raises(DataError, match="needs the items' text"):
        ContentModel(item_embeddings=None).fit(tiny_data.interactions, None)
