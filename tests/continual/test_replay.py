"""The rehearsal buffer: bounded, class-balanced, a uniform sample within a class, and
saved and restored with its sampler's state."""

from __future__ import annotations

from collections import Counter

from open_interpreter.continual import ReplayBuffer
from open_interpreter.data.examples import TextExamples, TokenExamples


def _texts(label: str, n: int, start: int = 0) -> TextExamples:
    return TextExamples([f"{label} {i}" for i in range(start, start + n)], [label] * n)


def test_it_never_holds_more_than_its_size_and_splits_it_evenly_between_classes():
    buffer = ReplayBuffer(size=30, seed=1)
    buffer.add(_texts("a", 100))
    assert len(buffer) == 30
    buffer.add(TextExamples(["b x"] * 200 + ["c y"] * 5, ["b"] * 200 + ["c"] * 5))
    kept = Counter(item["label"] for items in buffer.slots.values() for item in items)
    assert kept == {"a": 10, "b": 10, "c": 5}
    assert buffer.seen == {"a": 100, "b": 200, "c": 5}


def test_within_a_class_every_example_has_the_same_chance_to_stay():
    counts: Counter[str] = Counter()
    for seed in range(300):
        buffer = ReplayBuffer(size=5, seed=seed)
        buffer.add(_texts("a", 10))
        buffer.add(_texts("a", 10, start=10))  # the second batch must not crowd out the first
        counts.update(item["text"] for item in buffer.slots["a"])
    first, second = (
        sum(counts[f"a {i}"] for i in range(10)),
        sum(counts[f"a {i}"] for i in range(10, 20)),
    )
    assert abs(first - second) < 0.2 * (first + second)


def test_a_sentence_counts_for_its_rarest_entity_type():
    buffer = ReplayBuffer(size=100)
    tags = [["B-PER", "O"]] * 9 + [["B-PER", "B-LOC"]] + [["O", "O"]]
    buffer.add(TokenExamples([["w", "w"]] * 11, tags))
    assert {k: len(v) for k, v in buffer.slots.items()} == {"PER": 9, "LOC": 1, "O": 1}
    replayed = buffer.examples(TokenExamples([]))
    assert isinstance(replayed, TokenExamples) and len(replayed) == 11


def test_it_round_trips_and_resizes_evenly():
    buffer = ReplayBuffer(size=20, seed=3)
    buffer.add(TextExamples([f"t{i}" for i in range(40)], ["a", "b"] * 20))
    again = ReplayBuffer.from_dict(buffer.to_dict())
    assert again.slots == buffer.slots and again.seen == buffer.seen
    buffer.add(_texts("c", 9))
    again.add(_texts("c", 9))
    assert again.slots == buffer.slots  # the sampler's state came back too
    smaller = ReplayBuffer.from_dict(buffer.to_dict(), size=6)
    assert {k: len(v) for k, v in smaller.slots.items()} == {"a": 2, "b": 2, "c": 2}
