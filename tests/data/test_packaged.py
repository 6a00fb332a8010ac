"""``package:NAME`` wherever data is accepted: the same packaged data sets in Python as in
YAML and on the command line (the real packages are read in tests/integration)."""

from __future__ import annotations

import pytest

from open_interpreter.data import PACKAGED_DATASETS, load_packaged, to_examples
from open_interpreter.data.examples import TokenExamples
from open_interpreter.data.packaged import names_packaged
from open_interpreter.errors import DataError

from ..fixtures.data import packaged_ner


@pytest.fixture
def tiny_packaged(monkeypatch: pytest.MonkeyPatch) -> str:
    """A packaged data set ``tiny-ner`` of 20 tagged sentences, installed for the test."""
    monkeypatch.setitem(PACKAGED_DATASETS, "tiny-ner", packaged_ner(20))
    return "package:tiny-ner"


def test_package_names_are_data_in_python(tiny_packaged: str) -> None:
    examples = to_examples(tiny_packaged, source="train_data")
    assert isinstance(examples, TokenExamples) and len(examples) == 20
    assert len(to_examples("package:tiny_ner")) == 20  # _ stands for -
    assert len(load_packaged(tiny_packaged)) == 20
    assert names_packaged(tiny_packaged) and not names_packaged("train.csv")


def test_packaged_data_carries_its_labels(tiny_packaged: str) -> None:
    with pytest.raises(DataError, match="holds its own labels; leave train_labels out"):
        to_examples(tiny_packaged, [["O"]], source="train_data")


def test_an_unknown_package_name_lists_the_known_ones_and_the_closest() -> None:
    with pytest.raises(DataError) as caught:
        to_examples("package:wnut17")
    message = str(caught.value)
    assert "unknown packaged dataset 'wnut17'" in message
    assert "Did you mean 'wnut16'?" in message
