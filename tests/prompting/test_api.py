"""``OpenInterpreter.zero_shot / few_shot / extract_entities`` on tiny models."""

from __future__ import annotations

import numpy as np
import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.errors import ModelStateError
from open_interpreter.prompting import PromptPrediction, PromptPredictions

from ..fixtures.data import sentiment_texts


def test_zero_shot_by_a_language_model_gives_label_distributions(word_llama_dir):
    interpreter = OpenInterpreter(str(word_llama_dir))
    one = interpreter.zero_shot("this film is good", labels=["positive", "negative"])
    assert isinstance(one, PromptPrediction) and one.label in ("positive", "negative")
    assert sum(one.distribution.values()) == pytest.approx(1.0)
    many = interpreter.zero_shot(
        ["this film is good", "it was bad"],
        labels={"positive": ["positive", "very good"], "negative": "negative"},
        template="review {{ text }} sentiment",
        calibrate=True,
    )
    assert isinstance(many, PromptPredictions) and len(many) == 2
    assert many.method == "lm zero-shot" and set(many.bias) == {"positive", "negative"}
    np.testing.assert_allclose(many.probabilities.sum(axis=1), 1.0)


def test_zero_shot_by_an_encoder_compares_embeddings(tiny_bert_dir):
    interpreter = OpenInterpreter(str(tiny_bert_dir))
    predictions = interpreter.zero_shot(
        ["this film is great", "the movie is awful"],
        labels={"positive": "good great loved", "negative": ["bad", "awful hated"]},
    )
    assert predictions.method == "embedding zero-shot"
    assert predictions.labels == ["positive", "negative"]
    with pytest.raises(ModelStateError, match="language model"):
        interpreter.few_shot("the film", ["good film"], example_labels=["positive"])


def test_few_shot_shows_demonstrations_from_labelled_examples(word_llama_dir):
    texts, labels = sentiment_texts(20)
    interpreter = OpenInterpreter(str(word_llama_dir))
    predictions = interpreter.few_shot(
        ["this film is good", "it was bad"],
        texts,
        k=2,
        example_labels=labels,
        selection="balanced",
        calibrate=True,
    )
    assert predictions.method == "2-shot balanced"
    assert sorted(predictions.labels) == ["negative", "positive"]
    assert predictions.bias is not None


def test_extraction_with_a_random_model_reports_instead_of_crashing(word_llama_dir):
    interpreter = OpenInterpreter(str(word_llama_dir))
    result = interpreter.extract_entities(
        "john visited paris", ["person", "location"], retries=1, max_new_tokens=4
    )
    assert result.error is not None and result.attempts == 2 and result.entities == []
