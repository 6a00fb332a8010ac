"""Fixtures of the CLI tests: click's runner, and a model trained through ``oi train``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main

from ..fixtures.data import conll_bytes


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def trained_run(tiny_bert_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Train through ``oi train`` and return the saved model and the dev file."""
    (tmp_path / "train.conll").write_bytes(conll_bytes(48, 0))
    dev = tmp_path / "dev.conll"
    dev.write_bytes(conll_bytes(16, 1))
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
