"""Perturbations: NER alignment, gold entities kept, seeded, rates, misplaced names."""

from __future__ import annotations

import random

import pytest

from open_interpreter.analysis import (
    PERTURBATIONS,
    EmbeddingNeighbours,
    EntityInventory,
    PerturbationResources,
    perturb_examples,
    perturb_words,
)
from open_interpreter.analysis.perturbations import check_perturbations
from open_interpreter.config import PerturbationName
from open_interpreter.data import TextExamples, TokenExamples
from open_interpreter.errors import ConfigError
from open_interpreter.tasks.token_classification import entities_from_tags

from ..fixtures.analysis import trained
from ..fixtures.data import ner_sentences, sentiment_texts

WORDS = ["John", "Smith", "works", "at", "acme", "corp", "in", "paris", ",", "he", "said", "."]
TAGS = ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "O", "B-LOC", "O", "O", "O", "O"]


@pytest.fixture(scope="module")
def resources(tiny_bert_dir):
    interpreter = trained(str(tiny_bert_dir), "ner")
    tokens, tags = ner_sentences(48, seed=0)
    return PerturbationResources(
        neighbours=EmbeddingNeighbours.of_model(interpreter.model, interpreter.tokenizer),
        entities=EntityInventory.from_examples(TokenExamples(tokens, tags)),
    )


def _entities(words, tags):
    return [(kind, words[a:b]) for kind, a, b, _ in entities_from_tags(tags, [0.0] * len(tags))]


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_ner_perturbations_keep_words_and_tags_aligned_and_entities_whole(name, resources):
    gold = _entities(WORDS, TAGS)
    for seed in range(40):
        words, tags = perturb_words(
            name, WORDS, TAGS, rate=0.5, rng=random.Random(seed), resources=resources
        )
        assert len(words) == len(tags) and all(words)
        found = _entities(words, tags)
        assert sorted(kind for kind, _ in found) == sorted(kind for kind, _ in gold)
        if name in (
            "word-dropout",
            "word-shuffle",
            "punctuation-removal",
            "neighbour-substitution",
        ):
            assert sorted(map(tuple, (w for _, w in found))) == sorted(tuple(w) for _, w in gold)
        if name == "entity-swap":  # whole entities of the same type, seen in training
            seen = {k: {w for w, _ in items} for k, items in resources.entities.by_type.items()}
            for (kind, new), (_, old) in zip(found, gold, strict=True):
                assert tuple(new) == tuple(old) or tuple(new) in seen[kind]


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_perturbations_are_seeded_and_change_something_at_full_rate(name, resources):
    def run(seed):
        return perturb_words(
            name, WORDS, TAGS, rate=1.0, rng=random.Random(seed), resources=resources
        )

    assert run(3) == run(3)
    assert any(run(seed)[0] != WORDS for seed in range(5))


def test_rate_controls_how_much_changes():
    words = ["alpha", "beta", "gamma", "delta"] * 50

    def changed(rate):
        out, _ = perturb_words("char-swap", words, rate=rate, rng=random.Random(0))
        return sum(a != b for a, b in zip(out, words, strict=True)) / len(words)

    assert changed(0.0001) == 0
    assert 0.05 < changed(0.2) < 0.35
    assert changed(1.0) == 1


def test_character_noise_edits_one_letter():
    for name, length_change in (("char-swap", 0), ("char-drop", -1), ("char-insert", 1)):
        out, _ = perturb_words(name, ["keyboard"], rate=1.0, rng=random.Random(1))
        assert len(out[0]) == len("keyboard") + length_change and out[0] != "keyboard"
    typo, _ = perturb_words("keyboard-typo", ["Keyboard"], rate=1.0, rng=random.Random(1))
    assert sum(a != b for a, b in zip(typo[0], "Keyboard", strict=True)) == 1


def test_text_examples_are_perturbed_reproducibly_with_labels_kept(resources):
    texts, labels = sentiment_texts(20, seed=1)
    examples = TextExamples(texts, labels, source="texts")
    once = perturb_examples(examples, "word-dropout", rate=0.5, seed=7, resources=resources)
    again = perturb_examples(examples, "word-dropout", rate=0.5, seed=7, resources=resources)
    other = perturb_examples(examples, "word-dropout", rate=0.5, seed=8, resources=resources)
    assert once == again != other
    assert once.labels == labels and once.texts != texts
    assert all(text.strip() for text in once.texts)
    punctuated = TextExamples(["Well, this film is great!"], ["positive"])
    stripped = perturb_examples(punctuated, "punctuation-removal")
    assert stripped.texts == ["Well this film is great"]


def test_unknown_and_misplaced_perturbations_are_config_errors():
    with pytest.raises(ConfigError, match="unknown perturbations \\['typos'\\]"):
        check_perturbations(["typos"], token_task=False)
    with pytest.raises(ConfigError, match="entity-swap needs a token-classification"):
        check_perturbations(["entity-swap"], token_task=False)
    assert "entity-swap" not in check_perturbations(None, token_task=False)
    assert set(PerturbationName.__args__) == set(PERTURBATIONS)  # config and registry agree
