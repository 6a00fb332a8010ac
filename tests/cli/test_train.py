"""``oi train``, ``oi evaluate`` and ``oi predict`` through click's runner, on a tiny BERT."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main

from .tiny_data import ner_sentences


def _write_conll(path: Path, n: int, seed: int) -> Path:
    tokens, tags = ner_sentences(n, seed)
    lines = [
        "\n".join(f"{w} {t}" for w, t in zip(ws, ts, strict=True))
        for ws, ts in zip(tokens, tags, strict=True)
    ]
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def trained(tiny_bert_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Train through ``oi train`` and return the saved model and the dev file."""
    _write_conll(tmp_path / "train.conll", 48, 0)
    dev = _write_conll(tmp_path / "dev.conll", 16, 1)
    config = tmp_path / "run.yaml"
    config.write_text(
        f"# oi train run.yaml\nmodel: {tiny_bert_dir}\ndata:\n  train: train.conll\n"
        "  validation: dev.conll\nlearning_rate: 5.0e-3\nbatch_size: 8\nprogress: false\n"
    )
    result = CliRunner().invoke(main, ["train", str(config), "epochs=6", "warmup_ratio=0"])
    assert result.exit_code == 0, result.output
    assert "Before and after fine-tuning" in result.output
    assert "Entity level (strict IOB2)" in result.output
    return tmp_path / "oi_home" / "models" / "run", dev


def test_train_saves_to_the_model_store_and_evaluate_reads_it(trained, tmp_path):
    model_dir, dev = trained
    assert (model_dir / "oi_model.json").is_file()
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["evaluate", "run", str(dev), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "   micro avg " in result.output and "weighted avg" in result.output
    assert json.loads(out.read_text())["task"] == "token-classification"


def test_predict_texts_and_files(trained, tmp_path):
    model_dir, _ = trained
    result = CliRunner().invoke(main, ["predict", str(model_dir), "Mary visited Paris"])
    assert result.exit_code == 0, result.output
    assert "Mary [PER" in result.output and "Paris [LOC" in result.output
    lines = tmp_path / "texts.txt"
    lines.write_text("john works at acme corp\n\nmary visited london\n")
    result = CliRunner().invoke(main, ["predict", "run", str(lines), "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == ["john works at acme corp", "mary visited london"]
    assert rows[0]["entities"][1]["type"] == "ORG"


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


def test_help_is_fast_and_light():
    code = "import sys, open_interpreter.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "evaluate", "predict", "models"):
        assert command in result.output
