"""The Python face: ids in, titles out; fallbacks and errors; saved and registered."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from open_interpreter.apps.recommend import (
    ContentModel,
    Recommender,
    embed_items,
    load_movielens_100k,
)
from open_interpreter.errors import ConfigError, DataError, NotFoundError


@pytest.fixture
def recommender(tiny_data, genre_vectors) -> Recommender:
    return Recommender.fit(tiny_data, model=ContentModel(item_embeddings=genre_vectors))


def test_recommend_speaks_in_ids_and_titles(recommender) -> None:
    result = recommender.recommend("u1", k=3)
    assert result.fallback is None and result.model == "content"
    # u1 has 5 of the 6 comedies: the sixth comes first
    assert result.items[0].genres == ["Comedy"] and result.items[0].title.startswith("Comedy Story")
    assert all(r.genres != ["Comedy"] for r in result.items[1:])
    seen = {r.item_id for r in recommender.history("u1")}
    assert not seen & {r.item_id for r in result.items}


def test_exclusions_and_filters(recommender) -> None:
    first = recommender.recommend("u1", k=1).items[0].item_id
    assert first not in {r.item_id for r in recommender.recommend("u1", k=5, exclude=[first]).items}
    horror = recommender.recommend("u1", k=3, genres=["horror"])
    assert {g for r in horror.items for g in r.genres} == {"Horror"}
    recent = recommender.recommend("u1", k=30, min_year=2010)
    assert recent.items and all(int(r.item_id[1:]) >= 20 for r in recent.items)


def test_unknown_user_falls_back_to_popular_and_says_so(recommender) -> None:
    result = recommender.recommend("stranger", k=2)
    assert result.model == "popular" and "unknown user 'stranger'" in result.fallback
    assert len(result.items) == 2


def test_bad_input_is_a_clear_error(recommender) -> None:
    with pytest.raises(NotFoundError, match="unknown item 'nope'"):
        recommender.similar("nope")
    with pytest.raises(NotFoundError, match="unknown item"):
        recommender.recommend("u1", exclude=["nope"])
    with pytest.raises(ConfigError, match="k must be"):
        recommender.recommend("u1", k=0)
    with pytest.raises(NotFoundError):
        recommender.history("stranger")
    with pytest.raises(ConfigError, match="unknown recommender"):
        Recommender.fit(recommender_data_stub(), model="magic")


def recommender_data_stub():
    from open_interpreter.apps.recommend import ItemText, RecommendationData

    return RecommendationData(None, ItemText([], [], []))  # type: ignore[arg-type]


def test_empty_history_is_a_data_error(tiny_data, genre_vectors) -> None:
    rec = Recommender.fit(tiny_data, model=ContentModel(item_embeddings=genre_vectors))
    train = rec.model.train
    lonely = type(train)(
        [*train.users, "ghost"], train.items, train.user_index, train.item_index, train.timestamp
    )
    rec.model.train = lonely
    with pytest.raises(DataError, match="empty history"):
        rec.history("ghost")


def test_saved_recommender_reloads_and_registers(
    recommender, tmp_path: Path, db, isolated_home
) -> None:
    from open_interpreter.services import registry

    path = recommender.save(tmp_path / "rec", metrics={"ndcg@10": 0.5})
    again = Recommender.load(path)
    assert again.recommend("u1", k=3) == recommender.recommend("u1", k=3)
    with db.session() as session:
        version = registry.register_directory(session, model_name="movies", path=path)
        assert (version.version, version.base_model) == (1, "minilm-l6")
        assert registry.get_model(session, "movies").task == "recommendation"


def test_item_text_through_a_real_encoder(tiny_data, tiny_bert_dir: Path) -> None:
    from open_interpreter.models.loading import load_backbone, load_tokenizer
    from open_interpreter.prompting.embeddings import SentenceEncoder

    encoder = SentenceEncoder(load_backbone(tiny_bert_dir), load_tokenizer(tiny_bert_dir))
    vectors = embed_items(tiny_data.item_text, encoder)
    assert vectors.shape == (24, 32)
    rec = Recommender.fit(tiny_data, model=ContentModel(encoder, item_embeddings=None))
    assert rec.model.base_model == "custom-encoder" and len(rec.recommend("u0", k=2).items) == 2


@pytest.mark.skipif(
    importlib.util.find_spec("recbole") is None, reason="pip install --no-deps recbole==1.2.1"
)
def test_movielens_100k_from_the_recbole_package() -> None:
    data = load_movielens_100k()
    assert (len(data.interactions), data.interactions.n_users, data.interactions.n_items) == (
        100000,
        943,
        1682,
    )
    assert data.item_text.texts()[0] == "Toy Story (1995). Genres: Animation, Children's, Comedy."
