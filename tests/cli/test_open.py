"""``oi`` commands open NAME, NAME@VERSION and NAME:STAGE the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.cli._open import split_reference


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("ner", ("ner", None, None)),
        ("ner@12", ("ner", 12, None)),
        ("ner:production", ("ner", None, "production")),
        ("org/model", ("org/model", None, None)),
        ("./dir@x", ("./dir@x", None, None)),
        ("C:stage", ("C:stage", None, None)),
    ],
)
def test_references_split_into_name_version_and_stage(reference, expected):
    assert split_reference(reference) == expected


def test_predict_reaches_a_registered_version_by_number_and_stage(tiny_ner_model_dir: Path):
    runner = CliRunner()
    for _ in range(2):
        registered = runner.invoke(main, ["models", "register", "ner", str(tiny_ner_model_dir)])
        assert registered.exit_code == 0, registered.output
    for reference in ("ner", "ner@1", "ner:none"):
        answer = runner.invoke(main, ["predict", reference, "John lives in Paris", "--json"])
        assert answer.exit_code == 0, answer.output
        prediction = json.loads(answer.output.splitlines()[0])
        assert prediction["text"] == "John lives in Paris"
        assert len(prediction["tags"]) == 4
    missing = runner.invoke(main, ["predict", "ner@9", "John"])
    assert missing.exit_code == 1 and "has no version 9" in missing.output
    no_stage = runner.invoke(main, ["predict", "ner:production", "John"])
    assert no_stage.exit_code == 1 and "no version in stage 'production'" in no_stage.output
