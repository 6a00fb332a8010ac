"""Scores of generated text: exact match, token F1, BLEU, ROUGE, perplexity; the report."""

from __future__ import annotations

import pytest

from open_interpreter.errors import DataError
from open_interpreter.evaluation.generation import evaluate_generation, exact_match, token_f1


def test_answer_scores() -> None:
    assert exact_match("The Sky is blue!", "sky is blue") == 1.0
    assert token_f1("the sky is blue", "sky blue today") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0
    report = evaluate_generation(
        ["the sky is blue.", "green"],
        ["the sky is blue.", "the grass is green."],
        task="causal-lm",
        loss=0.5,
        prompts=["sky?", "grass?"],
    )
    assert report.exact_match == 0.5
    assert 0 < report.bleu <= 100 and 0 < report.rougeL <= 1
    assert report.perplexity == pytest.approx(1.6487, abs=1e-4)
    assert set(report.metrics()) >= {"loss", "perplexity", "token_f1", "bleu", "rouge1"}
    assert "reference: the grass is green." in str(report)
    assert report.to_dict()["perplexity"] == report.perplexity
    with pytest.raises(DataError, match="pair up"):
        evaluate_generation(["a"], [], task="causal-lm")
