"""``oi train`` through click's runner on a tiny BERT, into the store; ``oi evaluate`` reads it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from open_interpreter.cli import main


def test_train_saves_to_the_model_store_and_evaluate_reads_it(trained_run, tmp_path):
    model_dir, dev = trained_run
    assert (model_dir / "oi_model.json").is_file()
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["evaluate", "run", str(dev), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "   micro avg " in result.output and "weighted avg" in result.output
    assert json.loads(out.read_text())["task"] == "token-classification"
