"""Label sets, unseen-label checks, seeded splits and the shared value checks."""

from __future__ import annotations

import pytest

from open_interpreter.data import (
    TextExamples,
    TokenExamples,
    check_labels_known,
    label_set,
    seeded_split,
)
from open_interpreter.data.validation import (
    InvalidValue,
    checked_label,
    checked_strings,
    checked_text,
)
from open_interpreter.errors import ConfigError, DataError, LabelError


def test_label_set_orders_tags_o_first_then_type_then_prefix() -> None:
    examples = TokenExamples(
        [["a"] * 7],
        [["I-PER", "B-PER", "O", "S-LOC", "E-LOC", "B-LOC", "I-LOC"]],
    )
    assert label_set(examples) == ["O", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "B-PER", "I-PER"]


def test_label_set_of_texts_is_sorted_and_deterministic() -> None:
    assert label_set(TextExamples(["a", "b", "c"], ["pos", "neg", "pos"])) == ["neg", "pos"]
    assert label_set(TextExamples(["a", "b", "c"], [10, 2, 1])) == [1, 2, 10]


def test_label_set_of_unlabelled_examples() -> None:
    with pytest.raises(DataError, match="has no labels"):
        label_set(TextExamples(["a"], source="test.csv"))


def test_check_labels_known_passes_and_skips_unlabelled() -> None:
    train = TokenExamples([["EU"]], [["B-ORG"]])
    check_labels_known(label_set(train), TokenExamples([["UN"]], [["B-ORG"]]), "validation")
    check_labels_known(["pos"], TextExamples(["a"]), "test")


def test_check_labels_known_names_unseen_tags_and_split() -> None:
    validation = TokenExamples([["a", "b", "c"]], [["B-FOO", "O", "B-ORG"]])
    with pytest.raises(LabelError) as info:
        check_labels_known(["O", "B-ORG", "I-ORG"], validation, "validation")
    assert str(info.value) == "validation labels never seen in training: ['B-FOO']"


def test_check_labels_known_lists_at_most_ten() -> None:
    test = TextExamples([f"t{i}" for i in range(12)], [f"label{i:02d}" for i in range(12)])
    with pytest.raises(LabelError) as info:
        check_labels_known([], test, "test")
    message = str(info.value)
    assert message.startswith("test labels never seen in training: ['label00',")
    assert "'label09']" in message
    assert "label10" not in message
    assert message.endswith("and 2 more")


def test_seeded_split_is_deterministic_disjoint_and_complete() -> None:
    examples = TextExamples([f"t{i}" for i in range(100)], [i % 3 for i in range(100)])
    train, held_out = seeded_split(examples, (0.9, 0.1), seed=13)
    again = seeded_split(examples, [0.9, 0.1], seed=13)
    assert (train, held_out) == again
    assert len(train) == 90
    assert len(held_out) == 10
    assert sorted(train.texts + held_out.texts) == sorted(examples.texts)
    assert train.texts == sorted(train.texts, key=lambda t: int(t[1:]))  # file order kept
    assert seeded_split(examples, (0.9, 0.1), seed=14)[1] != held_out


def test_seeded_split_token_examples_three_ways() -> None:
    examples = TokenExamples([[f"w{i}"] for i in range(10)], [["O"]] * 10)
    parts = seeded_split(examples, (0.6, 0.2, 0.2), seed=0)
    assert [len(part) for part in parts] == [6, 2, 2]
    assert all(isinstance(part, TokenExamples) for part in parts)


@pytest.mark.parametrize("fractions", [(0.5, 0.4), (1.2, -0.2), (), (1.0, 0.0)])
def test_seeded_split_rejects_bad_fractions(fractions: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="fractions"):
        seeded_split(TextExamples(["a", "b"]), fractions, seed=0)


def test_seeded_split_too_few_examples() -> None:
    with pytest.raises(DataError, match="would be empty"):
        seeded_split(TextExamples(["a", "b", "c"]), (0.9, 0.1), seed=0)


def test_value_checks() -> None:
    assert checked_text("hi") == "hi"
    assert checked_label(" pos ") == "pos"
    assert checked_strings(("a", "b")) == ["a", "b"]
    with pytest.raises(InvalidValue, match="read as floats"):
        checked_label(1.0)
    with pytest.raises(InvalidValue, match="item 1 is a NoneType"):
        checked_strings(["a", None])
