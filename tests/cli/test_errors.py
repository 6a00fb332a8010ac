"""Library errors become one clean CLI line; other exceptions are left alone."""

from __future__ import annotations

import click
from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.cli._errors import error_line, handle_errors
from open_interpreter.errors import DataError, ModelNotFoundError


def test_handle_errors_leaves_other_exceptions_alone(runner: CliRunner) -> None:
    @click.command()
    @handle_errors
    def broken() -> None:
        """A command with a bug."""
        raise KeyError("bug")

    result = runner.invoke(broken)
    assert isinstance(result.exception, KeyError)
    assert broken.help == "A command with a bug."


def test_error_line_is_a_single_line() -> None:
    assert error_line(DataError("bad\nrow", source="x.csv", line=3)) == "x.csv:3: bad row"
    one_step = ModelNotFoundError("m", ["model store: no m"], "Pull it.")
    assert error_line(one_step) == "could not find model 'm' (model store: no m). Pull it."


def test_errors_are_one_clean_line(tmp_path, tiny_bert_dir):
    runner = CliRunner()
    result = runner.invoke(main, ["predict", "no-such-model", "text"])
    assert result.exit_code == 1
    assert "could not find model 'no-such-model'" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.conll"
    bad.write_text("john B-PER\nvisited\n")
    config = tmp_path / "bad.yaml"
    config.write_text(f"model: {tiny_bert_dir}\ndata:\n  train: {bad}\n")
    result = runner.invoke(main, ["train", str(config)])
    assert result.exit_code == 1
    assert "bad.conll:2" in result.output
    result = runner.invoke(main, ["train", str(config), "epochz=1"])
    assert result.exit_code == 1 and "unknown setting 'epochz'" in result.output
