"""``oi predict`` through click's runner: texts on the command line and lines of a file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from open_interpreter.cli import main


def test_predict_texts_and_files(trained_run, tmp_path):
    model_dir, _ = trained_run
    result = CliRunner().invoke(main, ["predict", str(model_dir), "Mary visited Paris"])
    assert result.exit_code == 0, result.output
    assert "Mary [PER" in result.output and "Paris [LOC" in result.output
    lines = tmp_path / "texts.txt"
    lines.write_text("john works at acme corp\n\nmary visited london\n")
    result = CliRunner().invoke(main, ["predict", "run", str(lines), "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == ["john works at acme corp", "mary visited london"]
    assert rows[0]["entities"][1]["type"] == "ORG"
