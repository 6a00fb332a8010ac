"""Choosing demonstrations: random and balanced (shared by every input), nearest (per input)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from open_interpreter.data import TextExamples
from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import DemonstrationSelector
from open_interpreter.prompting.demonstrations import trim_words

AXES = ("football", "market", "election")


class KeywordEncoder:
    """Unit vectors that point along the keywords a text contains (a stand-in for minilm-l6)."""

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        vectors = np.array(
            [[t.count(word) for word in AXES] for t in texts], dtype=float
        ) + np.array([0.01, 0.02, 0.03])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def pool() -> TextExamples:
    texts = [f"football match {i}" for i in range(6)]
    texts += [f"market shares {i}" for i in range(3)]
    texts += ["election vote", "election election vote", "market football"]
    labels = ["sport"] * 6 + ["business"] * 3 + ["politics"] * 2 + ["business"]
    return TextExamples(texts=texts, labels=labels)


def test_balanced_selection_is_as_even_as_k_allows_and_shared():
    selector = DemonstrationSelector(pool(), k=6, selection="balanced", seed=1)
    chosen = selector.select(["a", "b"])
    assert chosen[0] == chosen[1] and selector.shared
    assert Counter(d.label for d in chosen[0]) == {"sport": 2, "business": 2, "politics": 2}
    three = DemonstrationSelector(pool(), k=3, selection="balanced", seed=0).select(["a"])[0]
    assert len({d.label for d in three}) == 3


def test_random_selection_is_seeded():
    first = DemonstrationSelector(pool(), k=4, selection="random", seed=3).select(["a"])[0]
    again = DemonstrationSelector(pool(), k=4, selection="random", seed=3).select(["b"])[0]
    other = DemonstrationSelector(pool(), k=4, selection="random", seed=4).select(["a"])[0]
    assert first == again and first != other and len(first) == 4
    everything = DemonstrationSelector(pool(), k=50, selection="random").select(["a"])[0]
    assert len(everything) == len(pool())


def test_nearest_picks_the_most_similar_most_similar_last():
    encoder = KeywordEncoder()
    selector = DemonstrationSelector(pool(), k=3, selection="nearest", encoder=encoder)
    election, market = selector.select(["the election vote", "market shares rose"])
    assert [d.label for d in election][1:] == ["politics", "politics"]
    assert election[0].label != "politics"
    assert election[-1].similarity >= election[-2].similarity >= election[0].similarity
    assert {d.label for d in market} == {"business"}
    selector.select(["more football"])
    assert encoder.calls == 3  # the pool once, then each batch of inputs


def test_nearest_never_shows_the_input_itself_and_can_put_the_closest_first():
    selector = DemonstrationSelector(
        pool(), k=2, selection="nearest", order="similar-first", encoder=KeywordEncoder()
    )
    chosen = selector.select(["election vote"])[0]
    assert "election vote" not in [d.text for d in chosen]
    assert chosen[0].similarity >= chosen[1].similarity


def test_bad_settings_are_named():
    with pytest.raises(ConfigError, match="selection"):
        DemonstrationSelector(pool(), k=2, selection="closest")
    with pytest.raises(ConfigError, match="needs selection='nearest'"):
        DemonstrationSelector(pool(), k=2, order="similar-last")
    with pytest.raises(ConfigError, match="k must be"):
        DemonstrationSelector(pool(), k=0)
    with pytest.raises(DataError, match="labelled"):
        DemonstrationSelector(TextExamples(texts=["a"]), k=1)


def test_trim_words_keeps_the_start():
    assert trim_words("one two  three\nfour", 2) == "one two ..."
    assert trim_words("one two", 5) == "one two"
    assert trim_words("as\nit is", None) == "as\nit is"
