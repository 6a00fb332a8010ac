"""Counts with their nouns, and "did you mean" suggestions."""

from __future__ import annotations

from open_interpreter.wording import close_matches, did_you_mean, plural


def test_one_is_singular_every_other_count_plural():
    assert [plural(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]
    assert plural(3, "entry", "entries") == "3 entries"


def test_close_names_are_suggested_and_far_ones_are_not():
    assert did_you_mean("minilm-l7", ["minilm-l6", "smollm2-135m-instruct"]) == (
        "Did you mean 'minilm-l6'?"
    )
    assert did_you_mean("smolm2-135m-instruct", ["minilm-l6", "smollm2-135m-instruct"]) == (
        "Did you mean 'smollm2-135m-instruct'?"
    )
    assert did_you_mean("wnut16-ner", ["wnut16_ner", "bbc_topics"]) == "Did you mean 'wnut16_ner'?"
    assert did_you_mean("bert-base-cased", ["minilm-l6"]) == ""


def test_several_matches_are_listed_closest_first_and_an_exact_name_is_no_typo():
    assert did_you_mean("epoch", ["epochs_x", "epochs"]) == "Did you mean 'epochs' or 'epochs_x'?"
    assert close_matches("epochs", ["epochs", "epoch"]) == []
    assert did_you_mean("limt", ["limit"], shown=["data.limit"]) == "Did you mean 'data.limit'?"
