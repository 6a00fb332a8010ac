"""Search spaces: what parses, and the clear errors for what cannot be searched."""

from __future__ import annotations

import pytest

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.tuning import SearchConfig, default_space, parse_space
from open_interpreter.tuning.space import Choice, Range, config_changes


def test_ranges_and_choices_parse_with_their_types():
    space = parse_space(
        {
            "learning_rate": {"low": 1e-5, "high": 1e-3, "log": True},
            "epochs": {"low": 2, "high": 4},
            "batch_size": [8, 16],
            "warmup_ratio": {"low": 0.0, "high": 0.2, "step": 0.05},
        },
        FineTuneConfig(),
    )
    assert space.names == ["learning_rate", "epochs", "batch_size", "warmup_ratio"]
    assert space.parameters["learning_rate"] == Range(1e-5, 1e-3, log=True)
    assert space.parameters["epochs"].is_int
    assert space.parameters["batch_size"] == Choice((8, 16))
    assert space.max_of("epochs", 3) == 4 and space.max_of("dropout", 0.1) == 0.1


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({}, "the search space is empty"),
        ({"learnin_rate": [1e-5, 1e-4]}, "not a setting; did you mean 'learning_rate'?"),
        ({"model": ["a", "b"]}, "'model' cannot be searched"),
        ({"learning_rate": {"low": 1e-3, "high": 1e-5}}, "low=0.001 >= high=1e-05"),
        ({"learning_rate": {"low": 0.0, "high": 1e-3, "log": True}}, "low must be above 0"),
        ({"batch_size": []}, "batch_size lists no values"),
        ({"batch_size": [16]}, "set it as a plain setting instead"),
        ({"batch_size": [8, 8]}, "lists a value twice"),
        ({"epochs": {"low": 1}}, "must give low and high"),
        ({"epochs": {"low": 1, "high": 3, "lg": True}}, "must give low and high"),
        ({"dropout": {"low": 0.0, "high": 1.5}}, "dropout=1.5 is refused"),
        ({"batch_size": [0, 8]}, "batch_size=0 is refused"),
        ({"peft.r": [4, 8]}, "set peft (e.g. peft: lora)"),
        ({"warmup_ratio": {"low": 0.0, "high": 0.2, "step": 0.5}}, "at most high - low"),
        ({"learning_rate": "1e-5..1e-3"}, "must be a range"),
    ],
)
def test_bad_spaces_are_refused_with_the_setting_named(space, message):
    with pytest.raises(ConfigError) as info:
        parse_space(space, FineTuneConfig())
    assert message in str(info.value)


def test_adapter_settings_are_searched_under_peft():
    base = FineTuneConfig(peft="lora")
    space = parse_space(default_space("token-classification", base), base)
    assert {"peft.r", "peft.alpha"} <= set(space.names)
    assert space.parameters["learning_rate"].high == 5e-3  # adapters want more
    assert config_changes({"peft.r": 16, "epochs": 2}) == {"peft": {"r": 16}, "epochs": 2}
    assert base.updated(**config_changes({"peft.r": 16})).peft.r == 16
    with pytest.raises(ConfigError, match="not a peft setting; did you mean 'alpha'"):
        parse_space({"peft.alpah": [8, 16]}, base)


@pytest.mark.parametrize(
    "task", ["sequence-classification", "token-classification", "causal-lm", "seq2seq"]
)
def test_every_default_space_is_valid(task):
    assert parse_space(default_space(task, FineTuneConfig()), FineTuneConfig()).names


def test_study_settings_check_the_budget_and_the_direction():
    with pytest.raises(ValueError, match="leaves no trial to search after the baseline"):
        SearchConfig(n_trials=1)
    assert SearchConfig(n_trials=1, baseline=False).n_trials == 1
    with pytest.raises(ValueError):
        SearchConfig(timeout=0)
    with pytest.raises(ConfigError, match="use direction='minimize'"):
        SearchConfig(direction="maximize").direction_for("loss")
    assert SearchConfig().direction_for("loss") == "minimize"
