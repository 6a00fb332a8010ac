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


def test_train_help_lists_the_main_settings_and_where_the_rest_are():
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0
    for key in ("data.train", "data.limit", "data.validation_split", "epochs", "peft.method"):
        assert key in result.output
    assert "docs/fine-tuning.md" in result.output


def test_train_suggests_the_setting_a_misspelt_key_meant(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("data:\n  train: train.conll\n")
    result = CliRunner().invoke(main, ["train", str(config), "epoch=1", "data.limt=5"])
    assert result.exit_code == 1
    assert "unknown setting 'epoch' (did you mean 'epochs'?)" in result.stderr
    assert "unknown setting 'data.limt' (did you mean 'data.limit'?)" in result.stderr


def test_train_says_the_limit_comes_before_the_splits_and_shows_scoring(
    tiny_bert_dir, tmp_path, monkeypatch, caplog
):
    (tmp_path / "train.conll").write_bytes(conll_bytes(40, 0))
    config = tmp_path / "run.yaml"
    config.write_text(
        f"model: {tiny_bert_dir}\ndata:\n  train: train.conll\n  validation_split: 0.1\n"
        "  test_split: 0.1\nlearning_rate: 5.0e-3\nbatch_size: 8\nprogress: false\n"
    )
    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich takes for a terminal
    with caplog.at_level(logging.INFO, logger="open_interpreter"):
        result = CliRunner().invoke(main, ["train", str(config), "epochs=1", "data.limit=30"])
    assert result.exit_code == 0, result.output
    assert "limit 30 examples → 24 train / 3 validation / 3 test" in caplog.text
    assert "scoring" not in result.stderr  # progress: false
    result = CliRunner().invoke(main, ["train", str(config), "max_steps=1", "progress=true"])
    assert result.exit_code == 0, result.output
    assert "scoring validation before training" in result.stderr
    assert "scoring test after training" in result.stderr
    assert "32 training examples, 1 step in" in result.output
    result = CliRunner().invoke(main, ["-q", "train", str(config), "max_steps=1", "progress=true"])
    assert result.exit_code == 0, result.output
    assert "scoring" not in result.stderr and "training" not in result.stderr


def test_eval_limit_scores_only_the_first_validation_and_test_examples(
    tiny_bert_dir, tmp_path, monkeypatch, caplog
):
    (tmp_path / "train.conll").write_bytes(conll_bytes(20, 0))
    (tmp_path / "dev.conll").write_bytes(conll_bytes(30, 1))
    config = tmp_path / "run.yaml"
    config.write_text(
        f"model: {tiny_bert_dir}\ndata:\n  train: train.conll\n  validation: dev.conll\n"
        "  test_split: 0.25\nbatch_size: 8\nprogress: false\n"
    )
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="open_interpreter"):
        result = CliRunner().invoke(
            main, ["train", str(config), "max_steps=1", "data.eval_limit=4"]
        )
    assert result.exit_code == 0, result.output
    assert "eval_limit 4: scoring 4 of 30 validation examples" in caplog.text
    assert "eval_limit 4: scoring 4 of 5 test examples" in caplog.text
    metrics = json.loads(next(tmp_path.rglob("metrics.json")).read_text())
    assert {name: r["num_examples"] for name, r in metrics["reports"].items()} == {
        "before": 4,
        "after": 4,
        "test": 4,
    }
