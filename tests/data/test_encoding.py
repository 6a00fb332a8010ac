"""Encoding: tags on first sub-words, windows for long sentences, truncation, segment ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.data.encoding import (
    IGNORE_INDEX,
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
