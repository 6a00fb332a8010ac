"""``oi predict`` through click's runner: texts on the command line and lines of a file."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from open_interpreter.cli import main

from ..fixtures.data import conll_bytes


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


def test_predict_says_when_a_file_it_was_given_is_missing(tiny_ner_model_dir):
    result = CliRunner().invoke(main, ["predict", str(tiny_ner_model_dir), "nothere.txt"])
    assert result.exit_code == 1
    assert "no such file: nothere.txt" in result.stderr
    result = CliRunner().invoke(main, ["predict", str(tiny_ner_model_dir), "mary read notes.txt"])
    assert result.exit_code == 0, result.output
    assert "mary read notes.txt\n  -> " in result.output  # a text with spaces stays a text


def test_predict_with_a_pretrained_model_says_to_train_it_or_prompt_it(tiny_bert_dir):
    result = CliRunner().invoke(main, ["predict", str(tiny_bert_dir), "mary visited paris"])
    assert result.exit_code == 1
    assert "has no task head: train it first (oi train" in result.stderr
    assert "oi prompt run" in result.stderr
    assert "fine_tune(" not in result.stderr  # no Python in the CLI's advice


def test_evaluate_shows_a_progress_bar_on_a_terminal_unless_quiet(
    tiny_ner_model_dir, tmp_path, monkeypatch
):
    data = tmp_path / "dev.conll"
    data.write_bytes(conll_bytes(40, 1))
    command = ["evaluate", str(tiny_ner_model_dir), str(data)]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "scoring" not in result.stderr  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich takes for a terminal
    result = CliRunner().invoke(main, command)
    assert "scoring dev.conll" in result.stderr and "batches" in result.stderr
    result = CliRunner().invoke(main, ["--quiet", *command])
    assert result.exit_code == 0, result.output
    assert "scoring" not in result.stderr
