"""Verbalizer scoring on a tiny word-level Llama: cached, batched scores as one pass per pair."""

from __future__ import annotations

import numpy as np
import pytest

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import score_continuations

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
