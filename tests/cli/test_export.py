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


def test_store_keeps_the_export_with_the_registered_version(tiny_ner_model_dir, tmp_path):
    from open_interpreter.services import registry
    from open_interpreter.services.exports import stored_exports
    from open_interpreter.storage import Database, artifacts

    db = Database()
    try:
        with db.session() as session:
            version = registry.register_directory(
                session, model_name="ner", path=tiny_ner_model_dir
            )
        result = CliRunner().invoke(main, ["export", "ner@1", "--store"])
        assert result.exit_code == 0, result.output
        assert "Kept an ONNX fp32 export with ner@1" in result.output
        kept = stored_exports(artifacts.resolve(version.path))
        assert [e.precision for e in kept] == ["fp32"]
        assert OnnxModel.load(kept[0].path).predict("mary visited paris").tags
    finally:
        db.dispose()


def test_export_needs_a_folder_or_store_but_not_both(tiny_ner_model_dir, tmp_path):
    runner = CliRunner()
    neither = runner.invoke(main, ["export", str(tiny_ner_model_dir)])
    both = runner.invoke(main, ["export", str(tiny_ner_model_dir), "--store", "-o", str(tmp_path)])
    for result in (neither, both):
        assert result.exit_code == 2 and "either -o DIR or --store" in result.output
