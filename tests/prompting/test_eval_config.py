"""The prompt-evaluation config: run grids, invalid runs named, every shipped config loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.errors import ConfigError
from open_interpreter.prompting import PromptEvalConfig, load_eval_config

ROOT = Path(__file__).resolve().parents[2]


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
