"""``oi tune`` and ``oi studies`` through click's runner, on the tiny BERT."""

from __future__ import annotations

import json

from open_interpreter.cli import main

from ..fixtures.data import conll_bytes


def _config(tmp_path, tiny_bert_dir):
    (tmp_path / "train.conll").write_bytes(conll_bytes(48, 0))
    (tmp_path / "dev.conll").write_bytes(conll_bytes(16, 1))
    config = tmp_path / "lr.yaml"
    config.write_text(
        f"# oi tune lr.yaml\nmodel: {tiny_bert_dir}\ndata:\n  train: train.conll\n"
        "  validation: dev.conll\nlearning_rate: 5.0e-3\nbatch_size: 8\nepochs: 2\n"
        "warmup_ratio: 0.0\nnum_threads: 1\nsearch:\n  n_trials: 3\n  name: lr\n"
        "  space:\n    learning_rate: {low: 20.0, high: 60.0, log: true}\n"
    )
    return config


def test_tune_runs_a_study_that_studies_list_and_show(runner, tiny_bert_dir, tmp_path):
    config = _config(tmp_path, tiny_bert_dir)
    result = runner.invoke(main, ["tune", str(config), "n_trials=2", "pruner=median"])
    assert result.exit_code == 0, result.output
    assert "Study lr: 2 trials (2 complete, 0 pruned); best entity_f1" in result.output
    assert "| 0 (baseline) | complete |" in result.output
    assert "trial 0 (baseline) complete: entity_f1" in result.output  # not a TTY: lines
    saved = tmp_path / "oi_home" / "models" / "lr"
    assert f"Best model (trial 0) saved to {saved}" in result.output
    assert (saved / "oi_model.json").is_file()

    listed = runner.invoke(main, ["studies", "list"])
    assert listed.exit_code == 0, listed.output
    assert "lr" in listed.output and "entity_f1" in listed.output

    shown = runner.invoke(main, ["studies", "show", "lr"])
    assert shown.exit_code == 0, shown.output
    assert "| 1 | complete | 0.0000 | 2/2 | learning_rate=" in shown.output
    assert f"Best model: {saved}" in shown.output
    as_json = json.loads(runner.invoke(main, ["studies", "show", "lr", "--json"]).output)
    assert as_json["best_trial"] == 0 and as_json["info"]["pruner"] == "median"

    taken = runner.invoke(main, ["tune", str(config), "n_trials=2"])
    assert taken.exit_code == 1 and "a study named 'lr' exists already" in taken.output
    resumed = runner.invoke(main, ["tune", str(config), "n_trials=1", "name=lr", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "Study lr: 3 trials" in resumed.output
    assert f"Best model (trial 0) saved to {saved}" in resumed.output  # the earlier best


def test_bad_studies_are_one_line_errors(runner, tiny_bert_dir, tmp_path):
    config = _config(tmp_path, tiny_bert_dir)
    result = runner.invoke(main, ["tune", str(config), "search.space.learning_rate.low=90"])
    assert result.exit_code == 1
    assert result.output == "Error: search space: learning_rate has low=90 >= high=60.0\n"
    result = runner.invoke(main, ["tune", str(config), "metric=bleu"])
    assert result.exit_code == 1 and "metric='bleu' is not measured" in result.output
    missing = runner.invoke(main, ["studies", "show", "nope"])
    assert missing.exit_code == 1
    assert "Error: no study named 'nope'; studies: none yet" in missing.output
    assert "No studies yet" in runner.invoke(main, ["studies", "list"]).output
    assert not (tmp_path / "oi_home" / "studies.db").exists()  # nothing created to look
