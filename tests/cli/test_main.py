"""``oi --help``: fast, and without importing torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.models import CATALOGUE


def test_help_is_fast_and_light():
    code = "import sys, open_interpreter.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "evaluate", "predict", "models"):
        assert command in result.output


def test_help_examples_name_models_that_the_examples_save_or_the_catalogue_has():
    examples = Path(__file__).parents[2] / "examples"
    saved = {path.stem for path in examples.glob("*.yaml")}  # oi train saves a run by its stem
    for command in (["--help"], ["evaluate", "--help"], ["predict", "--help"], ["explain", "-h"]):
        text = CliRunner().invoke(main, command).output
        for name in re.findall(r"oi (?:evaluate|predict|explain) (\S+)", text):
            assert name in saved | set(CATALOGUE), f"oi {' '.join(command)} names {name}"


def test_a_misspelt_command_is_answered_with_the_one_meant():
    result = CliRunner().invoke(main, ["trian"])
    assert result.exit_code == 2
    assert "Did you mean 'train'?" in result.output
    assert "Did you mean 'list'?" in CliRunner().invoke(main, ["models", "lst"]).output
