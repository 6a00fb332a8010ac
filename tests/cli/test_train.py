"""``oi train`` through click's runner on a tiny BERT, into the store; ``oi evaluate`` reads it."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from open_interpreter.cli import main

from ..fixtures.data import conll_bytes


def test_train_saves_to_the_model_store_and_evaluate_reads_it(trained_run, tmp_path):
    model_dir, dev = trained_run
    assert (model_dir / "oi_model.json").is_file()
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["evaluate", "run", str(dev), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "   micro avg " in result.output and "weighted avg" in result.output
    assert json.loads(out.read_text())["task"] == "token-classification"


def _run_yaml(tmp_path, model, **data) -> str:
    config = tmp_path / "run.yaml"
    files = "".join(f"  {split}: {name}\n" for split, name in data.items())
    config.write_text(
        f"# oi train run.yaml\nmodel: {model}\ndata:\n{files}learning_rate: 5.0e-3\n"
        "batch_size: 8\nprogress: false\n"
    )
    return str(config)


def test_train_names_the_columns_of_a_file_without_labels(tiny_bert_dir, tmp_path):
    (tmp_path / "nolabel.csv").write_text("text,lbl\nthis film is great,positive\n")
    config = _run_yaml(tmp_path, tiny_bert_dir, train="nolabel.csv")
    result = CliRunner().invoke(main, ["train", config, "epochs=1"])
    assert result.exit_code == 1
    assert "no column 'label' among its columns ['text', 'lbl']" in result.output
    assert "data.label_column=lbl" in result.output


def test_train_scores_test_labels_never_seen_in_training_with_a_warning(
    tiny_bert_dir, tmp_path, caplog
):
    (tmp_path / "train.conll").write_bytes(conll_bytes(16, 0))
    (tmp_path / "test.conll").write_text("mary B-PER\nvisited O\nacme B-MISC\nin O\nparis B-LOC\n")
    config = _run_yaml(tmp_path, tiny_bert_dir, train="train.conll", test="test.conll")
    with caplog.at_level(logging.WARNING, logger="open_interpreter"):
        result = CliRunner().invoke(main, ["train", config, "epochs=1"])
    assert result.exit_code == 0, result.output
    assert "test labels never seen in training: ['B-MISC']" in caplog.text
    assert "labels setting" in caplog.text
    assert " MISC " in result.output  # a row of the entity table, scored 0
