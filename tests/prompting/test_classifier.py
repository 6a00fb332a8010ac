"""The prompt classifier on a tiny word-level Llama: distributions, calibration, demonstrations."""

from __future__ import annotations

import numpy as np
import pytest

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import (
    Demonstration,
    PromptClassifier,
    PromptTemplate,
    TemplateError,
    Verbalizer,
    calibrate,
    score_continuations,
)


def classifier(word_llama, **options):
    model, tokenizer = word_llama
    verbalizer = Verbalizer.build({"positive": ["positive", "very good"], "negative": "negative"})
    template = PromptTemplate("review {{ text }} sentiment {{ labels | join(' ') }}")
    return PromptClassifier(model, tokenizer, verbalizer, template=template, **options)


def test_label_distributions_are_proper_and_sum_the_words_of_a_label(word_llama):
    model, tokenizer = word_llama
    clf = classifier(word_llama)
    texts = ["this film is good", "it was bad"]
    predictions = clf.classify(texts)
    assert predictions.probabilities.shape == (2, 2)
    np.testing.assert_allclose(predictions.probabilities.sum(axis=1), 1.0)
    assert predictions[0].label in ("positive", "negative")
    assert set(predictions[1].distribution) == {"positive", "negative"}
    words = score_continuations(
        model, tokenizer, [clf.prompt(t) for t in texts], ["positive", "very good", "negative"]
    )
    positive = np.logaddexp(words[:, 0], words[:, 1])
    expected = np.exp(positive) / (np.exp(positive) + np.exp(words[:, 2]))
    np.testing.assert_allclose(predictions.probabilities[:, 0], expected, atol=1e-6)


def test_calibrated_predictions_report_the_bias(word_llama):
    clf = classifier(word_llama)
    predictions = clf.classify(["this film is good", "it was bad"], calibrate=True)
    assert set(predictions.bias) == {"positive", "negative"}
    assert sum(predictions.bias.values()) == pytest.approx(1.0)
    raw = np.asarray(predictions.uncalibrated)
    bias = np.array(list(predictions.bias.values()))
    np.testing.assert_allclose(predictions.probabilities, calibrate(raw, bias))
    content_free = clf.classify(["N/A", "", "[MASK]"], calibrate=True).probabilities.mean(axis=0)
    assert content_free.max() - content_free.min() < 0.2  # the bias is gone on average


def test_templates_are_checked_when_the_classifier_is_made(word_llama):
    with pytest.raises(TemplateError, match="never uses"):
        PromptClassifier(*word_llama, Verbalizer.build(["a"]), template=PromptTemplate("hi"))
    with pytest.raises(TemplateError, match="product"):
        PromptClassifier(
            *word_llama,
            Verbalizer.build(["a"]),
            template=PromptTemplate("{{ text }} {{ product }}"),
        )
    with pytest.raises(TemplateError, match="prodcut"):
        PromptClassifier(*word_llama, Verbalizer.build(["a"]), variables={"prodcut": "phone"})


def test_demonstrations_become_chat_turns_and_are_dropped_to_fit(word_llama):
    demos = [Demonstration("this film is good", "positive"), Demonstration("bad", "negative")]
    clf = classifier(word_llama)
    prompt = clf.prompt("it was okay", demos)
    assert prompt.count("<|im_start|> assistant") == 3
    assert "assistant positive <|im_end|>" in prompt and "assistant negative <|im_end|>" in prompt
    short = classifier(word_llama, max_prompt_tokens=len(clf.tokenizer(prompt)["input_ids"]) - 1)
    assert "this film is good" not in short.prompt("it was okay", demos)  # the first one went
    tiny = classifier(word_llama, max_prompt_tokens=3)
    with pytest.raises(DataError, match="max_words"):
        tiny.prompt("it was okay")


def test_demonstrations_are_trimmed_to_demo_words(word_llama):
    clf = classifier(word_llama, demo_words=2)
    prompt = clf.prompt("okay", [Demonstration("this film is very good", "positive")])
    assert "this film ..." in prompt and "very good" not in prompt.split("assistant")[0]


def test_calibration_needs_shared_demonstrations(word_llama):
    clf = classifier(word_llama)
    per_input = [[Demonstration("good", "positive")], [Demonstration("bad", "negative")]]
    with pytest.raises(ConfigError, match="same demonstrations"):
        clf.classify(["okay", "fine"], per_input, calibrate=True)


def test_a_template_may_lay_out_the_demonstrations_itself(word_llama):
    template = PromptTemplate(
        "{% for e in examples %}review {{ e.text }} sentiment {{ e.label }} {% endfor %}"
        "review {{ text }} sentiment"
    )
    clf = PromptClassifier(
        *word_llama, Verbalizer.build(["positive", "negative"]), template=template
    )
    prompt = clf.prompt("okay", [Demonstration("good", "positive")])
    assert prompt.count("<|im_start|> user") == 1
    assert "review good sentiment positive review okay sentiment" in prompt
    assert "user review okay sentiment <|im_end|>" in clf.prompt("okay")
