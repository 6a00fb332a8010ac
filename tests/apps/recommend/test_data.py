"""Reading atomic files: typed columns, malformed lines named, item text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from open_interpreter.apps.recommend import read_atomic_file, read_interactions
from open_interpreter.errors import DataError


def test_columns_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "x.item"
    path.write_text("item_id:token\ttitle:token_seq\tscore:float\tv:float_seq\n7\tA B\t1.5\t1 2\n")
    columns = read_atomic_file(path)
    assert columns["item_id"] == ["7"]
    assert columns["title"] == [["A", "B"]]
    assert columns["score"].tolist() == [1.5]
    assert columns["v"][0].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user_id\titem_id:token\n", "line 1: header field 'user_id'"),
        ("user_id:token\titem_id:token\n1\t2\n\n3\n", "line 4: expected 2"),
        ("user_id:token\ttimestamp:float\n1\t5\n2\tsoon\n", "line 3: field 'timestamp' is float"),
        ("", "empty file"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.inter"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_atomic_file(path)


def test_interactions_need_user_and_item_fields(tmp_path: Path) -> None:
    path = tmp_path / "x.inter"
    path.write_text("user_id:token\trating:float\n1\t3\n")
    with pytest.raises(DataError, match="no 'item_id' field"):
        read_interactions(path)


def test_interactions_and_item_text(tiny_data) -> None:
    interactions = tiny_data.interactions
    assert (interactions.n_users, interactions.n_items, len(interactions)) == (30, 24, 150)
    assert interactions.users[interactions.user_index[0]] == "u0"
    assert np.all(np.diff(interactions.timestamp[interactions.user_index == 0]) > 0)
    assert tiny_data.item_text.texts()[1] == "Comedy Story 1 (1991). Genres: Comedy."
