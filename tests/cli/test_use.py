"""``oi predict`` through click's runner: texts on the command line and lines of a file."""

from __future__ import annotations

import json
import logging

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


def test_evaluate_scores_tags_the_model_never_saw(tiny_ner_model_dir, tmp_path, caplog):
    data = tmp_path / "test.conll"
    data.write_text("mary B-PER\nvisited O\nacme B-MISC\ncorp I-MISC\n")
    with caplog.at_level(logging.WARNING, logger="open_interpreter"):
        result = CliRunner().invoke(main, ["evaluate", str(tiny_ner_model_dir), str(data)])
    assert result.exit_code == 0, result.output
    assert "test.conll labels never seen in training: ['B-MISC', 'I-MISC']" in caplog.text
    assert "      B-MISC      0.000     0.000     0.000         1" in result.output
