"""The hybrid whose item tower fine-tunes the encoder's top layers (``hybrid-ft``), on tiny
data with a 2-layer BERT built from config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from open_interpreter.apps.recommend import FineTunedTwoTower, load_model
from open_interpreter.errors import ConfigError
from open_interpreter.prompting.embeddings import SentenceEncoder


@pytest.fixture
def tiny_encoder(tiny_bert_dir: Path) -> SentenceEncoder:
    from transformers import AutoTokenizer, BertModel

    return SentenceEncoder(
        BertModel.from_pretrained(tiny_bert_dir), AutoTokenizer.from_pretrained(tiny_bert_dir)
    )


def test_the_encoder_is_fine_tuned_and_the_shared_one_is_left_alone(
    tiny_data, tiny_encoder, tmp_path: Path
) -> None:
    before = {k: v.clone() for k, v in tiny_encoder.model.state_dict().items()}
    model = FineTunedTwoTower(
        tiny_encoder,
        epochs=1,
        batch_size=32,
        extra_negatives=4,
        encoder_steps=6,
        refresh_every=4,
        encoder_learning_rate=1e-2,
    ).fit(tiny_data.interactions, tiny_data.item_text, seed=0)
    # the loss reached the encoder: its item vectors moved
    assert model.encoder_shift > 1e-4
    assert model.encoder_seconds > 0
    after = tiny_encoder.model.state_dict()
    assert all(bool((after[k] == v).all()) for k, v in before.items())
    scores = model.score(np.arange(4))
    assert scores.shape == (4, tiny_data.interactions.n_items) and np.isfinite(scores).all()
    model.save(tmp_path / "ft")
    again = load_model(tmp_path / "ft")
    assert isinstance(again, FineTunedTwoTower) and again.encoder_steps == 6
    np.testing.assert_allclose(again.score(np.arange(4)), scores, rtol=1e-6)


def test_bad_settings_are_refused(tiny_data, tiny_encoder) -> None:
    with pytest.raises(ConfigError, match="encoder_steps"):
        FineTunedTwoTower(tiny_encoder, encoder_steps=0)
    with pytest.raises(ConfigError, match="2 layers"):
        FineTunedTwoTower(tiny_encoder, epochs=1, unfrozen_layers=3).fit(
            tiny_data.interactions, tiny_data.item_text
        )


def test_the_frozen_control_trains_the_towers_alone(tiny_data, genre_vectors) -> None:
    model = FineTunedTwoTower(
        item_embeddings=genre_vectors,
        epochs=1,
        batch_size=32,
        extra_negatives=4,
        encoder_steps=4,
        unfrozen_layers=0,
    ).fit(tiny_data.interactions, tiny_data.item_text, seed=0)
    assert model.encoder_shift == 0.0 and model.item_tower.shape == (24, 4)
