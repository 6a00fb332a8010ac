"""The robustness report on tiny BERTs: seeded, complete, entity F1 for NER, comparisons."""

from __future__ import annotations

import json

import pytest

from open_interpreter.analysis import RobustnessReport
from open_interpreter.data import TextExamples, TokenExamples
from open_interpreter.errors import ConfigError, DataError, LabelError

from ..fixtures.analysis import FAST
from ..fixtures.data import ner_sentences, sentiment_texts


def test_report_is_seeded_reproducible_and_complete(sentiment, tmp_path):
    texts, labels = sentiment_texts(12, seed=8)
    options = {"rate": 0.3, "seed": 5, "attack_words": 1, "attack_limit": 4}
    report = sentiment.robustness(texts, labels, **options)
    assert report.to_dict() == sentiment.robustness(texts, labels, **options).to_dict()
    assert report.metric == "accuracy" and report.examples == 12
    assert [p.perturbation for p in report.perturbations][:2] == ["char-swap", "char-drop"]
    assert "entity-swap" not in [p.perturbation for p in report.perturbations]
    for row in report.perturbations:
        assert row.drop == pytest.approx(report.clean - row.score)
        assert 0 <= row.changed_inputs <= 1 and 0 <= row.changed_predictions <= 1
    assert report.attack.attempted + report.attack.skipped == 4
    assert len(report.worst) <= 5
    assert all(w.score_after < w.score_before for w in report.worst)
    paths = report.save(tmp_path / "out")
    assert RobustnessReport.load(paths["json"]) == report
    assert "| clean | 1.000 |" in paths["md"].read_text()
    assert paths["html"].read_text().startswith("<!DOCTYPE html>")
    json.loads(paths["json"].read_text())


def test_ner_report_uses_entity_f1_and_swaps_training_entities(ner):
    tokens, tags = ner_sentences(16, seed=9)
    train = TokenExamples(*ner_sentences(48, seed=0), source="train.conll")
    report = ner.robustness(
        tokens,
        tags,
        perturbations=["entity-swap", "word-dropout"],
        rate=0.5,
        attack_words=0,
        entity_source=train,
    )
    assert report.metric == "entity_f1" and report.attack is None
    assert report.entity_source == "train.conll"
    assert report.score("clean") == report.clean > 0.9
    assert "entity F1" in report.to_markdown()


def test_comparison_shows_the_gain(sentiment):
    texts, labels = sentiment_texts(12, seed=10)
    base = sentiment.robustness(texts, labels, perturbations=["char-drop"], attack_words=1)
    better = RobustnessReport.from_dict(
        {**base.to_dict(), "clean": base.clean - 0.1, "model": "augmented"}
    )
    better.perturbations[0].score = base.perturbations[0].score + 0.2
    rows = {name: gain for name, _, _, gain in better.compare(base).rows()}
    assert rows["clean"] == pytest.approx(-0.1) and rows["char-drop"] == pytest.approx(0.2)
    markdown = better.compare(base).to_markdown()
    assert "attack success rate" in markdown and "| +0.200 |" in markdown


def test_robustness_errors(sentiment, ner):
    texts, labels = sentiment_texts(4, seed=1)
    with pytest.raises(ConfigError, match="unknown perturbations"):
        sentiment.robustness(texts, labels, perturbations=["typo"])
    with pytest.raises(ConfigError, match="entity-swap needs"):
        sentiment.robustness(texts, labels, perturbations=["entity-swap"])
    with pytest.raises(ConfigError, match="rate must be in"):
        sentiment.robustness(texts, labels, rate=0)
    with pytest.raises(DataError):
        sentiment.robustness(texts)
    with pytest.raises(LabelError):
        sentiment.robustness(texts, ["meh"] * 4)
    with pytest.raises(DataError, match="tagged sentences"):
        ner.robustness(
            *ner_sentences(4),
            perturbations=["entity-swap"],
            entity_source=TextExamples(texts, labels),
        )


def test_sentence_pairs_are_perturbed_on_both_sides_and_not_attacked(tiny_bert_dir):
    from open_interpreter import OpenInterpreter

    texts, labels = sentiment_texts(32, seed=11)
    pairs = [(text, "the film") for text in texts]
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    interpreter.add_sentence_pair_head()
    interpreter.fine_tune(train_data=pairs, train_labels=labels, epochs=2, **FAST)
    report = interpreter.robustness(pairs[:8], labels[:8], perturbations=["char-drop"], rate=1.0)
    assert report.attack is None and report.perturbations[0].changed_inputs == 1.0
    with pytest.raises(DataError, match="sentence-pair models are not supported"):
        interpreter.explain("the film is great")
