"""Sub-word alignment, windows for long sentences, and batching."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.data.batching import (
    collate,
    inference_batches,
    labelled_tokens,
    token_weight,
    training_batches,
)
from open_interpreter.data.encoding import (
    IGNORE_INDEX,
    Feature,
    encode_texts,
    encode_tokens,
    word_predictions,
)
from open_interpreter.data.examples import TextExamples, TokenExamples
from open_interpreter.errors import LabelError


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_bert_dir)


LABEL2ID = {"O": 0, "B-PER": 1, "I-PER": 2, "B-LOC": 3}


def test_first_subword_carries_the_tag_and_the_rest_are_ignored(tokenizer) -> None:
    examples = TokenExamples(tokens=[["johns", "sat", "paris"]], tags=[["B-PER", "O", "B-LOC"]])
    (feature,) = encode_tokens(tokenizer, examples, LABEL2ID, max_length=32)
    pieces = tokenizer.convert_ids_to_tokens(feature.input_ids)
    assert pieces == ["[CLS]", "john", "##s", "sat", "paris", "[SEP]"]
    assert feature.labels == [IGNORE_INDEX, 1, IGNORE_INDEX, 0, 3, IGNORE_INDEX]


def test_long_sentences_are_windowed_and_every_word_gets_one_prediction(tokenizer) -> None:
    words = ["the", "cat", "sat", "on", "the", "mat"] * 10
    examples = TokenExamples(tokens=[words], tags=[["O"] * len(words)])
    features = encode_tokens(tokenizer, examples, LABEL2ID, max_length=16, stride=4)
    assert len(features) > 1
    assert all(len(f) <= 16 for f in features)
    scores = [[[float(w or 0)] for w in f.word_ids] for f in features]
    (rows,) = word_predictions(features, scores, [len(words)])
    assert [row[0] for row in rows] == [float(i) for i in range(len(words))]


def test_unknown_tag_names_the_sentence(tokenizer) -> None:
    examples = TokenExamples(tokens=[["cat"], ["mat"]], tags=[["O"], ["B-FOO"]], source="dev.conll")
    with pytest.raises(LabelError, match=r"dev.conll sentence 1: unknown label 'B-FOO'"):
        encode_tokens(tokenizer, examples, LABEL2ID, max_length=16)


def test_texts_longer_than_max_length_are_truncated_with_a_warning(tokenizer, caplog) -> None:
    examples = TextExamples(texts=["cat " * 50, "mat"], labels=["a", "b"])
    features = encode_texts(tokenizer, examples, {"a": 0, "b": 1}, max_length=10)
    assert [len(f) for f in features] == [10, 3]
    assert [f.labels for f in features] == [0, 1]
    assert "1 of 2 texts are longer than max_length=10" in caplog.text


def test_pairs_get_segment_ids(tokenizer) -> None:
    examples = TextExamples(texts=["cat sat"], text_pairs=["mat"], labels=["x"])
    (feature,) = encode_texts(tokenizer, examples, {"x": 0}, max_length=16)
    assert feature.token_type_ids == [0, 0, 0, 0, 1, 1]


def _features(lengths: list[int]) -> list[Feature]:
    return [Feature(input_ids=[5] * n, labels=[0] * n) for n in lengths]


def test_training_batches_are_length_grouped_and_replayable() -> None:
    features = _features([3, 30, 4, 29, 5, 28, 6, 27] * 8)
    first = training_batches(features, 4, seed=1, epoch=0)
    assert first == training_batches(features, 4, seed=1, epoch=0)
    assert first != training_batches(features, 4, seed=1, epoch=1)
    assert sorted(i for batch in first for i in batch) == list(range(len(features)))
    spread = [max(len(features[i]) for i in b) - min(len(features[i]) for i in b) for b in first]
    assert max(spread) <= 3


def test_inference_batches_are_sorted_longest_first() -> None:
    batches = inference_batches(_features([2, 9, 5]), 2)
    assert batches == [[1, 2], [0]]


def test_collate_pads_to_the_longest_member() -> None:
    batch = collate(_features([2, 4]), pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 5, 0, 0], [5, 5, 5, 5]]
    assert batch["attention_mask"].tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert batch["labels"].tolist() == [[0, 0, IGNORE_INDEX, IGNORE_INDEX], [0, 0, 0, 0]]


def test_token_weight_makes_each_labelled_token_count_alike() -> None:
    short, long = _features([2, 2]), _features([6, 6])
    mean = labelled_tokens(short + long) / 2  # two batches
    assert token_weight(collate(short, 0, multiple_of=8)["labels"], mean) == pytest.approx(0.5)
    assert token_weight(collate(long, 0)["labels"], mean) == pytest.approx(1.5)
    one_label = [Feature(input_ids=[5, 5], labels=1)]
    assert token_weight(collate(one_label, 0)["labels"], 3.0) == 1.0


def test_collate_can_round_the_width_up_to_a_multiple() -> None:
    batch = collate(_features([2, 9]), pad_id=0, multiple_of=8)
    assert batch["input_ids"].shape == (2, 16)
    assert batch["attention_mask"].sum().item() == 11
    assert (batch["labels"][:, 9:] == IGNORE_INDEX).all()
