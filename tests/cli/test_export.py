"""``oi export`` through click's runner: a saved NER model to int8 ONNX, and its refusals."""

from __future__ import annotations

import json

from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.export import OnnxModel

from ..fixtures.data import conll_bytes


def test_export_writes_an_int8_directory_checked_on_labelled_data(tiny_ner_model_dir, tmp_path):
    data = tmp_path / "dev.conll"
    data.write_bytes(conll_bytes(16, 1))
    out = tmp_path / "exports" / "ner-int8"
    args = ["export", str(tiny_ner_model_dir), "--format", "onnx", "--quantize", "int8"]
    result = CliRunner().invoke(main, [*args, "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Exported int8 ONNX to {out}" in result.output
    assert "entity_f1: pytorch" in result.output
    card = json.loads((out / "export.json").read_text())
    assert card["parity"]["metrics"]["metric"] == "entity_f1"
    assert OnnxModel.load(out).predict("mary visited paris").entities


def test_export_refuses_a_folder_holding_other_files(tiny_ner_model_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    result = CliRunner().invoke(main, ["export", str(tiny_ner_model_dir), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "Error: refusing to export into" in result.output
