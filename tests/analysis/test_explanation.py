"""``interpreter.explain``: attributions per word, offsets, NER entities, errors, rendering."""

from __future__ import annotations

import json

import pytest

from open_interpreter.analysis import METHODS, Explanation, explain_entity
from open_interpreter.errors import ConfigError, DataError, LabelError, ModelStateError

from ..fixtures.analysis import bag_of_words_interpreter


@pytest.mark.parametrize("method", METHODS)
def test_classification_scores_one_per_word_with_offsets(sentiment, method):
    text = "This  film is GREAT."
    explanation = sentiment.explain(text, method=method)
    assert isinstance(explanation, Explanation)
    assert explanation.words == ["This", "film", "is", "GREAT", "."]
    assert len(explanation.scores) == len(explanation.offsets) == 5
    for word, (start, end) in zip(explanation.words, explanation.offsets, strict=True):
        assert text[start:end] == word
    assert explanation.target == sentiment.predict(text).label == "positive"
    assert explanation.method == method
    assert explanation.top(1)[0][0] == "GREAT"  # the word that decides, for every method


def test_a_chosen_target_label_is_explained_and_scores_flip_sign(sentiment):
    positive = sentiment.explain("the film is great", method="occlusion")
    negative = sentiment.explain("the film is great", method="occlusion", target="negative")
    assert negative.target == "negative"
    assert negative.probability == pytest.approx(1 - positive.probability, abs=1e-5)
    assert negative.scores[3] == pytest.approx(-positive.scores[3], abs=1e-5)


def test_integrated_gradients_scores_add_up_to_the_probability_change():
    interpreter = bag_of_words_interpreter()
    explanation = interpreter.explain("this film is great", method="ig", steps=64)
    # p(positive | text) - p(positive | all words blanked) = 0.9933 - 0.5 (completeness)
    assert sum(explanation.scores) == pytest.approx(0.9933 - 0.5, abs=5e-3)
    assert explanation.scores[3] == pytest.approx(sum(explanation.scores), abs=1e-6)


def test_ner_explains_each_predicted_entity(ner):
    text = "Mary visited  Berlin."
    explanations = ner.explain(text, method="occlusion")
    assert [(e.target, e.entity["text"]) for e in explanations] == [
        ("PER", "Mary"),
        ("LOC", "Berlin"),
    ]
    berlin = explanations[1]
    assert berlin.entity == {
        "type": "LOC",
        "text": "Berlin",
        "start": 14,
        "end": 20,
        "words": [2, 3],
        "score": pytest.approx(berlin.entity["score"]),
    }
    assert text[berlin.offsets[2][0] : berlin.offsets[2][1]] == "Berlin"
    assert berlin.top(1)[0][0] == "Berlin"
    assert [e.entity["text"] for e in ner.explain(text, method="ig", target="LOC")] == ["Berlin"]
    assert ner.explain("mary visited paris", method="ig", target="ORG") == []


def test_one_entity_is_explained_by_its_index(ner, sentiment):
    text = "Mary visited  Berlin."
    everything = ner.explain(text, method="occlusion")
    assert explain_entity(ner.bundle, text, 1, "occlusion") == everything[1]
    with pytest.raises(LabelError, match=r"target 2 is not the index .* \(indices 0 to 1\)"):
        explain_entity(ner.bundle, text, 2)
    with pytest.raises(LabelError, match="it finds none"):
        explain_entity(ner.bundle, ".", 0)
    with pytest.raises(DataError, match="token-classification"):
        explain_entity(sentiment.bundle, text, 0)


def test_bad_input_gives_clear_errors(sentiment, ner, tiny_bert_dir):
    with pytest.raises(ConfigError, match="unknown attribution method 'shap'"):
        sentiment.explain("the film", method="shap")
    with pytest.raises(LabelError, match=r"target 'neutral' is not one of the model's labels"):
        sentiment.explain("the film", target="neutral")
    with pytest.raises(LabelError, match="entity types"):
        ner.explain("mary visited paris", target="B-LOC")
    for empty in ("", "   "):
        with pytest.raises(DataError, match="empty"):
            sentiment.explain(empty)
        with pytest.raises(DataError, match="empty"):
            ner.explain(empty)
    with pytest.raises(ConfigError, match="attention weights"):
        bag_of_words_interpreter().explain("this film is great", method="attention")
    from open_interpreter import OpenInterpreter

    with pytest.raises(ModelStateError):
        OpenInterpreter(str(tiny_bert_dir)).explain("the film")


def test_explanation_is_json_ready_and_renders_html(sentiment, tmp_path):
    explanation = sentiment.explain("the film is <great> & good", method="occlusion")
    data = json.loads(json.dumps(explanation.to_dict()))
    assert set(data) == {
        "text",
        "words",
        "offsets",
        "scores",
        "target",
        "method",
        "probability",
        "task",
        "entity",
    }
    assert Explanation.from_dict(data) == explanation
    fragment = explanation.to_html()
    assert "&lt;" in fragment and "<great>" not in fragment
    assert fragment.count('class="oi-word"') == len(explanation.words)
    page = explanation.save_html(tmp_path / "why.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page


def test_long_texts_are_truncated_and_words_beyond_score_zero(sentiment):
    sentiment.config = sentiment.config.updated(max_length=8)
    try:
        explanation = sentiment.explain("the film is great " * 5, method="occlusion")
    finally:
        sentiment.config = sentiment.config.updated(max_length=256)
    assert len(explanation.words) == 20
    assert all(score == 0.0 for score in explanation.scores[6:])
