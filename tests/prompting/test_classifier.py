"""Verbalizer scoring with a tiny word-level Llama: cached scores, distributions, calibration."""

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
    estimate_bias,
    score_continuations,
)

from . import tiny_prompting

word_llama_dir = tiny_prompting.word_llama_dir  # fixtures: the tiny word-level Llama
word_llama = tiny_prompting.word_llama

PROMPTS = [
    "system you are a helpful classifier user this film is good answer",
    "system you are a helpful classifier user it was bad",
    "system you are a helpful classifier user the movie was very very awful and it hated it",
    "system you are a helpful classifier user okay",
]
CONTINUATIONS = ["positive", "very good", "not very good", "negative"]


def naive_scores(model, tokenizer, prompts, continuations):
    """Each continuation scored on its own, from one full forward pass per pair."""
    import torch

    scores = np.zeros((len(prompts), len(continuations)))
    for i, prompt in enumerate(prompts):
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        for j, continuation in enumerate(continuations):
            ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logprobs = model(torch.tensor([prompt_ids + ids])).logits[0].log_softmax(-1)
            scores[i, j] = sum(
                logprobs[len(prompt_ids) - 1 + t, token].item() for t, token in enumerate(ids)
            )
    return scores


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_cached_batched_scores_equal_one_pass_per_pair(word_llama, batch_size):
    model, tokenizer = word_llama
    expected = naive_scores(model, tokenizer, PROMPTS, CONTINUATIONS)
    scores = score_continuations(
        model, tokenizer, PROMPTS, CONTINUATIONS, batch_size=batch_size, precision="fp32"
    )
    np.testing.assert_allclose(scores, expected, atol=1e-4)


def test_prompts_without_a_shared_prefix_score_the_same(word_llama):
    model, tokenizer = word_llama
    prompts = ["this film is good", "it was awful and bad", "okay"]
    scores = score_continuations(
        model, tokenizer, prompts, CONTINUATIONS, batch_size=2, precision="fp32"
    )
    np.testing.assert_allclose(
        scores, naive_scores(model, tokenizer, prompts, CONTINUATIONS), atol=1e-4
    )


def test_mean_reduction_divides_by_the_token_count(word_llama):
    model, tokenizer = word_llama
    summed = score_continuations(model, tokenizer, PROMPTS[:1], CONTINUATIONS)
    mean = score_continuations(model, tokenizer, PROMPTS[:1], CONTINUATIONS, reduce="mean")
    np.testing.assert_allclose(mean, summed / np.array([1, 2, 3, 1]))
    with pytest.raises(ConfigError, match="reduce"):
        score_continuations(model, tokenizer, PROMPTS, CONTINUATIONS, reduce="max")
    with pytest.raises(DataError, match="empty"):
        score_continuations(model, tokenizer, PROMPTS, [""])


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


def test_calibration_divides_out_a_known_bias():
    bias = estimate_bias(np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2]]))
    np.testing.assert_allclose(bias, [0.6, 0.25, 0.15])
    probabilities = np.array([[0.6, 0.25, 0.15], [0.3, 0.5, 0.2]])
    calibrated = calibrate(probabilities, bias)
    np.testing.assert_allclose(calibrated[0], [1 / 3] * 3)  # exactly the bias: no preference
    expected = np.array([0.3 / 0.6, 0.5 / 0.25, 0.2 / 0.15])
    np.testing.assert_allclose(calibrated[1], expected / expected.sum())
    with pytest.raises(DataError):
        calibrate(probabilities, np.array([0.5, 0.5]))


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


def test_verbalizers_reject_ambiguous_words():
    with pytest.raises(ConfigError, match="stands for both"):
        Verbalizer.build({"a": ["yes"], "b": ["yes"]})
    with pytest.raises(ConfigError, match="non-blank"):
        Verbalizer.build({"a": [" "]})
    with pytest.raises(ConfigError, match="unique"):
        Verbalizer.build(["a", "a"])
    verbalizer = Verbalizer.build({"sports": ["sport", "football"], "tech": "technology"})
    assert verbalizer.answers == ["sport", "technology"]
    assert verbalizer.flat() == (["sport", "football", "technology"], [0, 0, 1])


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
