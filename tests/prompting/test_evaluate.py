"""Prompt evaluation: bootstrap intervals, the config's run grid, a whole table on tiny models."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting import (
    PromptEvalConfig,
    bootstrap_interval,
    evaluate_prompts,
    load_eval_config,
    paired_difference,
)
from open_interpreter.prompting.bootstrap import metric_value

from . import tiny_prompting
from .tiny_prompting import tiny_eval_config

word_llama_dir = tiny_prompting.word_llama_dir  # fixture: the tiny word-level Llama

ROOT = Path(__file__).resolve().parents[2]


def test_perfect_predictions_have_a_point_interval():
    gold = ["a", "b", "c"] * 10
    assert bootstrap_interval(gold, gold, "accuracy") == (1.0, 1.0)
    assert bootstrap_interval(gold, gold, "macro-f1") == (1.0, 1.0)


def test_intervals_hold_the_estimate_are_seeded_and_narrow_with_more_data():
    rng = random.Random(0)
    gold = [rng.choice("abc") for _ in range(400)]
    pred = [g if rng.random() < 0.7 else rng.choice("abc") for g in gold]
    low, high = bootstrap_interval(gold, pred, "accuracy", seed=1)
    assert low < metric_value(gold, pred, "accuracy") < high
    assert (low, high) == bootstrap_interval(gold, pred, "accuracy", seed=1)
    small_low, small_high = bootstrap_interval(gold[:40], pred[:40], "accuracy", seed=1)
    assert small_high - small_low > high - low
    assert 0.02 < high - low < 0.15


def test_macro_f1_matches_scikit_learn_with_absent_labels():
    from sklearn.metrics import f1_score

    gold = ["a", "a", "b", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a", "a"]
    labels = ["a", "b", "c", "d"]
    expected = f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    assert metric_value(gold, pred, "macro-f1", labels) == pytest.approx(expected)


def test_paired_difference_of_a_better_prediction_set():
    gold = ["a", "b"] * 50
    worse = ["a"] * 100
    assert paired_difference(gold, worse, worse, "accuracy") == (0.0, 0.0, 0.0)
    difference, low, high = paired_difference(gold, worse, gold, "accuracy")
    assert difference == 0.5 and 0.38 < low <= 0.5 <= high < 0.62


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="metric"):
        bootstrap_interval(["a"], ["a"], "f2")
    with pytest.raises(DataError, match="as many"):
        bootstrap_interval(["a"], [], "accuracy")
    with pytest.raises(DataError, match="not among"):
        bootstrap_interval(["a"], ["z"], "accuracy", labels=["a"])


def test_list_valued_run_fields_expand_into_every_combination():
    config = PromptEvalConfig.build(
        {
            "name": "x",
            "data": "x.csv",
            "runs": [
                {"strategy": "majority"},
                {"strategy": "few-shot", "k": [4, 8], "selection": ["random", "nearest"]},
            ],
        }
    )
    labels = [run.label for run in config.expanded_runs()]
    assert labels == [
        "majority class",
        "LM 4-shot random",
        "LM 4-shot nearest",
        "LM 8-shot random",
        "LM 8-shot nearest",
    ]


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ([{"strategy": "zero-shot", "template": "missing"}], "no template 'missing'"),
        ([{"strategy": "zero-shot", "verbalizer": "missing"}], "no verbalizer 'missing'"),
        ([{"strategy": "few-shot", "k": [4, 0]}], r"runs\[0\]: k"),
        ([{"strategy": "embedding", "calibrate": True}], "take no template"),
        ([{"strategy": "guess"}], r"runs\[0\]: strategy"),
    ],
)
def test_invalid_runs_are_named(runs, message):
    with pytest.raises(ConfigError, match=message):
        PromptEvalConfig.build({"name": "x", "data": "x.csv", "runs": runs})


@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "prompts").glob("*.yaml")))
def test_every_shipped_config_loads(path):
    config = load_eval_config(path)
    strategies = {run.strategy for run in config.expanded_runs()}
    assert strategies == {"majority", "embedding", "zero-shot", "few-shot"}


def test_a_whole_evaluation_on_tiny_models(tmp_path, word_llama_dir, tiny_bert_dir):
    path = tiny_eval_config(tmp_path, word_llama_dir, tiny_bert_dir)
    table = evaluate_prompts(load_eval_config(path), base_dir=tmp_path)
    assert (
        table.name == "reviews"
        and table.examples == 10
        and table.labels == ["negative", "positive"]
    )
    assert table.pool == 12  # 24 distinct texts, half held out
    assert len(table.rows) == 6
    accuracies = [row.accuracy for row in table.rows]
    assert accuracies == sorted(accuracies, reverse=True)
    for row in table.rows:
        assert row.accuracy_ci[0] <= row.accuracy <= row.accuracy_ci[1]
        assert len(row.predictions) == 10
    calibrated = next(r for r in table.rows if r.name == "LM zero-shot + calibration")
    assert set(calibrated.bias) == {"negative", "positive"}
    assert [e.change for e in table.effects] == ["calibration", "nearest-neighbour demonstrations"]
    assert table.effects[0].baseline == "LM zero-shot"
    markdown = table.to_markdown()
    assert "| majority class |" in markdown and "| calibration |" in markdown
    written = table.save(tmp_path / "out")
    assert json.loads(written[0].read_text())["rows"][0]["name"] == table.rows[0].name


def test_verbalizers_must_cover_the_labels(tmp_path, word_llama_dir, tiny_bert_dir):
    path = tiny_eval_config(tmp_path, word_llama_dir, tiny_bert_dir)
    config = load_eval_config(path, ["verbalizers.words={positive: good}"])
    with pytest.raises(ConfigError, match=r"missing \['negative'\]"):
        evaluate_prompts(config, base_dir=tmp_path)
