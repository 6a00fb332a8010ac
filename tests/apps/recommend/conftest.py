"""Small interaction files in RecBole's atomic format, written per test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from open_interpreter.apps.recommend import RecommendationData, read_interactions

GENRES = ["Action", "Comedy", "Drama", "Horror"]


def write_tiny_files(
    folder: Path, *, users: int = 30, items: int = 24, seed: int = 0
) -> tuple[Path, Path]:
    """Users who each like one genre; items cycle through the genres; seeded times."""
    rng = np.random.default_rng(seed)
    inter = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for user in range(users):
        liked = [i for i in range(items) if i % len(GENRES) == user % len(GENRES)]
        for t, item in enumerate(rng.permutation(liked)[:5]):
            inter.append(f"u{user}\ti{item}\t4\t{1000 * user + t}")
    item_lines = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for item in range(items):
        genre = GENRES[item % len(GENRES)]
        item_lines.append(f"i{item}\t{genre} Story {item}\t{1990 + item}\t{genre}")
    inter_file, item_file = folder / "tiny.inter", folder / "tiny.item"
    inter_file.write_text("\n".join(inter) + "\n")
    item_file.write_text("\n".join(item_lines) + "\n")
    return inter_file, item_file


@pytest.fixture
def tiny_data(tmp_path: Path) -> RecommendationData:
    """30 users, 24 items in 4 genres; each user has 5 items of one genre."""
    return read_interactions(*write_tiny_files(tmp_path))


@pytest.fixture
def genre_vectors(tiny_data: RecommendationData) -> np.ndarray:
    """Item vectors that encode the genre (stand-ins for the encoder's, for fast tests)."""
    vectors = np.zeros((tiny_data.interactions.n_items, len(GENRES)), dtype=np.float32)
    for item, genres in enumerate(tiny_data.item_text.genres):
        vectors[item, GENRES.index(genres[0])] = 1.0
    return vectors
