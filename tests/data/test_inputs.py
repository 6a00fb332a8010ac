"""to_examples: every kind of data a user may pass, and what it says when the data is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from open_interpreter.data import TextExamples, TokenExamples, to_examples
from open_interpreter.errors import DataError


def message_of(*args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        to_examples(*args, **kwargs)
    return str(info.value)


# Python lists


def test_texts_and_labels() -> None:
    examples = to_examples(["great film", "dull"], ["pos", "neg"], source="train_data")
    assert examples == TextExamples(["great film", "dull"], ["pos", "neg"])
    assert examples.source == "train_data"


def test_unlabelled_texts_for_prediction() -> None:
    assert to_examples(["great film"]).labels is None


def test_int_labels_from_numpy_and_tuples() -> None:
    np = pytest.importorskip("numpy")
    assert to_examples(("a", "b"), np.array([0, 1])).labels == [0, 1]
    assert type(to_examples(["a"], np.array([3])).labels[0]) is int


def test_text_pairs() -> None:
    examples = to_examples([("A cat.", "An animal."), ("A car.", "A fruit.")], [1, 0])
    assert examples.texts == ["A cat.", "A car."]
    assert examples.text_pairs == ["An animal.", "A fruit."]


def test_token_lists_and_tags() -> None:
    examples = to_examples([["EU", "rejects"], ["Hi"]], [["B-ORG", "O"], ["O"]])
    assert examples == TokenExamples([["EU", "rejects"], ["Hi"]], [["B-ORG", "O"], ["O"]])


def test_examples_pass_through() -> None:
    examples = TextExamples(["a"], ["b"])
    assert to_examples(examples) is examples
    assert "leave labels out" in message_of(examples, ["b"])


@pytest.mark.parametrize(
    ("data", "labels", "message"),
    [
        (["a"] * 100, ["x"] * 99, "train_data has 100 items but train_labels has 99"),
        ([], None, "train_data is empty"),
        (["a", 3.5], None, "train_data[1] is a float, not a string"),
        (["a", None], None, "train_data[1] is missing (None)"),
        (["a", "  "], None, "train_data[1] is empty"),
        (["a", "b"], ["x", None], "train_labels[1] is missing (None)"),
        (["a", "b"], ["x", float("nan")], "train_labels[1] is missing (nan)"),
        (["a", "b"], ["x", True], "train_labels[1] is a bool"),
        (["a", "b"], ["x", 1], "train_labels mix 'x' (at 0) and 1 (at 1)"),
        ([("a", "b"), ("c", "")], None, "train_data[1] has a text_pair that is empty"),
        ([("a", "b"), ("c",)], None, "train_data[1] is a tuple; expected a (text, text_pair)"),
        ([["EU", "x"], ["Hi"]], [["O", "O"], ["O", "O"]], "train_labels[1] has 2 tags"),
        ([["EU"], ["Hi"]], [["O"], [0]], "train_labels[1] holds integers"),
        ([["EU"], []], None, "train_data[1] is an empty list"),
        ([["EU"], ["Hi", 2]], None, "train_data[1] item 1 is an int"),
        ([{"text": "a"}], None, "train_data[0] is a dict"),
        (42, None, "train_data is an int; expected a file path"),
        (["a"], "pos", "train_labels is a str; expected a list"),
    ],
)
def test_bad_lists_are_named(data: object, labels: object, message: str) -> None:
    assert message in message_of(data, labels, source="train_data")


@pytest.mark.parametrize(
    ("source", "labels_name"),
    [("data", "labels"), ("train_data", "train_labels"), ("test data", "test labels")],
)
def test_labels_are_named_after_the_data(source: str, labels_name: str) -> None:
    text = message_of(["a", "b"], ["x"], source=source)
    assert text == f"{source} has 2 items but {labels_name} has 1"


def test_tags_length_mismatch_names_the_sentence() -> None:
    text = message_of([["EU", "rejects"], ["Hi"]], [["B-ORG", "O"], ["O", "O"]])
    assert text == "labels[1] has 2 tags but data[1] has 1 tokens"


def test_require_labels() -> None:
    assert "has no labels; pass train_labels" in message_of(
        ["a"], require_labels=True, source="train_data"
    )
    assert "has no labels" in message_of(TextExamples(["a"]), require_labels=True)


# Paths


def test_path_and_str_path(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("review,stars\nfine,5\n", encoding="utf-8")
    for data in (path, str(path)):
        examples = to_examples(data, text_column="review", label_column="stars")
        assert examples == TextExamples(["fine"], ["5"])


def test_path_with_labels_or_missing_file_or_plain_string(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,label\nfine,5\n", encoding="utf-8")
    assert "its labels come from its 'label' column" in message_of(path, ["5"])
    assert "file not found" in message_of(str(tmp_path / "missing.jsonl"))
    assert "wrap it in a list" in message_of("a single review, not a file")
    assert "wrap it in a list" in message_of("a long review and/or rant " * 100)


def test_file_label_column_missing_is_an_error_only_when_required(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,sentiment\nfine,pos\n", encoding="utf-8")
    assert to_examples(path).labels is None
    text = message_of(path, require_labels=True)
    assert "no column 'label'" in text
    assert "['text', 'sentiment']" in text


# pandas


def test_dataframe_texts_labels_and_pairs() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"], "y": [1, 0]})
    examples = to_examples(frame, text_column="a", text_pair_column="b", label_column="y")
    assert examples == TextExamples(["x", "y"], [1, 0], ["p", "q"])
    assert type(examples.labels[0]) is int


def test_dataframe_tokens_with_array_cells() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    frame = pd.DataFrame(
        {"tokens": [np.array(["EU", "rejects"]), ["Hi"]], "ner_tags": [["B-ORG", "O"], ["O"]]}
    )
    assert to_examples(frame) == TokenExamples([["EU", "rejects"], ["Hi"]], [["B-ORG", "O"], ["O"]])


def test_dataframe_errors_name_column_and_row() -> None:
    pd = pytest.importorskip("pandas")
    assert "data['text'][1] is missing (nan)" in message_of(
        pd.DataFrame({"text": ["a", None], "label": ["x", "y"]})
    )
    assert "data['label'][1] is missing (nan)" in message_of(
        pd.DataFrame({"text": ["a", "b"], "label": [1, None]})
    )
    text = message_of(pd.DataFrame({"sentence": ["a"]}), require_labels=True)
    assert "no column 'text'; columns present: ['sentence']" in text
    assert "is empty" in message_of(pd.DataFrame({"text": [], "label": []}))


def test_dataframe_labels_argument_replaces_label_column() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": ["a", "b"]})
    assert to_examples(frame, frame["text"].str.upper()).labels == ["A", "B"]


# Hugging Face datasets


def test_dataset_sequence_classlabel_tags_become_names() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER"])),
        }
    )
    data = {"tokens": [["Peter", "Blackburn", "said"]], "ner_tags": [[1, 2, 0]]}
    examples = to_examples(datasets.Dataset.from_dict(data, features=features))
    assert examples == TokenExamples([["Peter", "Blackburn", "said"]], [["B-PER", "I-PER", "O"]])


def test_dataset_texts_with_classlabel_and_unlabelled_test_split() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])}
    )
    train = datasets.Dataset.from_dict(
        {"text": ["bad", "good"], "label": [0, 1]}, features=features
    )
    assert to_examples(train).labels == ["neg", "pos"]
    test = datasets.Dataset.from_dict({"text": ["meh"], "label": [-1]}, features=features)
    assert to_examples(test).labels is None
    assert "has no labels" in message_of(test, require_labels=True)


def test_dataset_int_tags_without_names_are_rejected() -> None:
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_dict({"tokens": [["Hi"]], "tags": [[0]]})
    assert "data['tags'][0] holds integers" in message_of(dataset)


def test_dataset_dict_asks_for_a_split() -> None:
    datasets = pytest.importorskip("datasets")
    split = datasets.Dataset.from_dict({"text": ["a"], "label": [0]})
    assert "pass one split" in message_of(datasets.DatasetDict({"train": split}))


def test_importing_the_data_package_imports_neither_pandas_nor_datasets() -> None:
    code = (
        "import sys, open_interpreter.data; "
        "print(sorted(m for m in ('pandas', 'datasets') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
