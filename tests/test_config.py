"""One config for Python, YAML and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from open_interpreter.config import AugmentSettings, FineTuneConfig, PeftSettings, load_config
from open_interpreter.errors import ConfigError
from open_interpreter.tuning import load_study_config

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model: minilm-l6\nlearning_rate: 3.0e-5\ndata:\n  train: a.conll\n")
    config = load_config(path, ["epochs=1", "learning_rate=1e-4", "data.limit=50", "freeze=top-n"])
    assert (config.epochs, config.learning_rate, config.data.limit) == (1, 1e-4, 50)
    assert config.data.train == "a.conll"
    assert config.freeze == "top-n"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("learning_rte=1", "unknown setting 'learning_rte'"),
        ("epochs=-1", "epochs: Input should be greater than 0"),
        ("optimizer=adam", "optimizer: Input should be 'adamw' or 'sgd'"),
        ("data.validation_split=0.6", r"validation_split \+ data.test_split must be below 1"),
        ("epochs", "override must look like key=value"),
    ],
)
def test_bad_settings_name_the_field(tmp_path: Path, override: str, message: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("data:\n  test_split: 0.5\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path, [override])


def test_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")


def test_every_shipped_example_is_a_valid_config() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for file in files:
        text = file.read_text()
        assert text.startswith(("# oi train ", "# oi tune ")), (
            f"{file.name} must start with its command"
        )
        if text.startswith("# oi tune "):
            load_study_config(file)  # an oi train file with a search: section
        else:
            load_config(file)


def test_updated_validates() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        FineTuneConfig().updated(batch_size=0)


def test_augment_settings_are_validated():
    config = FineTuneConfig().updated(augment={"perturbations": ["char-swap"], "copies": 2})
    assert config.augment == AugmentSettings(perturbations=["char-swap"], rate=0.1, copies=2)
    assert FineTuneConfig().augment.perturbations == []
    with pytest.raises(ConfigError, match=r"augment\.perturbations"):
        FineTuneConfig().updated(augment={"perturbations": ["typos"]})
    with pytest.raises(ConfigError, match=r"augment\.rate"):
        FineTuneConfig().updated(augment={"rate": 0})


def test_peft_settings_come_from_kwargs_yaml_and_overrides(tmp_path: Path) -> None:
    assert FineTuneConfig().updated(peft="ia3").peft == PeftSettings(method="ia3")
    assert FineTuneConfig().updated(peft={"r": 4}).peft.r == 4
    run = tmp_path / "run.yaml"
    run.write_text("peft:\n  method: lora\n  r: 16\n  target_modules: [query, value]\n")
    config = load_config(run, ["peft.alpha=8", "peft.dropout=0.1"])
    assert (config.peft.r, config.peft.alpha, config.peft.dropout) == (16, 8, 0.1)
    assert config.peft.target_modules == ["query", "value"]
    assert load_config(run, ["peft=null"]).peft is None
    with pytest.raises(ConfigError, match="freeze='backbone' cannot be combined with peft"):
        FineTuneConfig.build({"peft": {"method": "lora"}, "freeze": "backbone"})
    with pytest.raises(ConfigError, match=r"peft\.method"):
        FineTuneConfig().updated(peft={"method": "adapters"})


def test_data_settings_are_python_keywords_as_they_are_dotted_keys_in_yaml() -> None:
    config = FineTuneConfig().updated(limit=300, validation_split=0.1, test_split=0.1, epochs=1)
    assert (config.data.limit, config.data.validation_split, config.data.test_split) == (
        300,
        0.1,
        0.1,
    )
    both = FineTuneConfig().updated(data={"train": "a.csv", "limit": 5}, label_column="topic")
    assert (both.data.train, both.data.limit, both.data.label_column) == ("a.csv", 5, "topic")
    with pytest.raises(ConfigError, match="limit: Input should be greater than 0"):
        FineTuneConfig().updated(limit=0)


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [
        ("epoch=1", "unknown setting 'epoch' (did you mean 'epochs'?)"),
        ("data.limt=3", "unknown setting 'data.limt' (did you mean 'data.limit'?)"),
        ("limt=3", "unknown setting 'limt' (did you mean 'data.limit'?)"),
        ("peft.alfa=8", "unknown setting 'peft.alfa' (did you mean 'peft.alpha'?)"),
    ],
)
def test_an_unknown_setting_suggests_the_known_one_spelled_like_it(
    tmp_path: Path, override: str, suggestion: str
) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("peft:\n  method: lora\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, [override])
    assert suggestion in str(caught.value)


def test_an_unknown_keyword_in_python_suggests_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"'lerning_rate' \(did you mean 'learning_rate'\?\)"):
        FineTuneConfig().updated(lerning_rate=1e-4)
