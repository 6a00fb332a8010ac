"""Batches: length-grouped and replayable for training, longest first for inference, collation."""

from __future__ import annotations

import pytest

from open_interpreter.data.batching import (
    collate,
    inference_batches,
    labelled_tokens,
    token_weight,
    training_batches,
)
from open_interpreter.data.encoding import IGNORE_INDEX, Feature


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
