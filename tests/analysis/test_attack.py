"""The word-substitution attack on tiny BERTs: at most k words, entities untouched, errors."""

from __future__ import annotations

import pytest

from open_interpreter.analysis import attack
from open_interpreter.data import TextExamples, TokenExamples
from open_interpreter.errors import ConfigError, DataError, LabelError

from ..fixtures.data import ner_sentences, sentiment_texts


@pytest.mark.parametrize("max_words", [1, 2])
def test_attack_changes_at_most_k_words_and_succeeds_only_on_a_flip(sentiment, max_words):
    texts, labels = sentiment_texts(8, seed=6)
    result = attack(
        sentiment.bundle, TextExamples(texts, labels), max_words=max_words, candidates=10
    )
    assert result.attempted + result.skipped == 8 and result.attempted > 0
    assert 0 < result.success_rate <= 1
    for example in result.examples:
        before, after = example.original.split(), example.adversarial.split()
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(changed) == len(example.changes) <= max_words
        assert sorted(c["word"] for c in example.changes) == changed
        assert example.succeeded == (example.after != example.expected)
        assert example.before == example.expected
        if example.changes:
            assert example.probability_after < example.probability_before


def test_ner_attack_never_touches_entity_words(ner):
    tokens, tags = ner_sentences(6, seed=7)
    result = attack(ner.bundle, TokenExamples(tokens, tags), max_words=2, candidates=10)
    assert result.attempted > 0
    for example in result.examples:
        gold = tags[example.index]
        assert all(gold[c["word"]] == "O" for c in example.changes)
        assert len(example.adversarial.split()) == len(tokens[example.index])


def test_attack_errors(sentiment):
    with pytest.raises(ConfigError, match="max_words must be at least 1"):
        attack(sentiment.bundle, TextExamples(["the film"], ["positive"]), max_words=0)
    with pytest.raises(DataError, match="no labels"):
        attack(sentiment.bundle, TextExamples(["the film"]))
    with pytest.raises(LabelError, match="neutral"):
        attack(sentiment.bundle, TextExamples(["the film"], ["neutral"]))
