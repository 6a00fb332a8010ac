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


def test_queue_hands_the_export_to_a_worker_with_the_data_as_its_parity_dataset(
    tiny_ner_model_dir, tmp_path
):
    from open_interpreter.services import registry
    from open_interpreter.services.exports import stored_exports
    from open_interpreter.services.worker import Worker
    from open_interpreter.storage import Database, artifacts
    from open_interpreter.storage.tables import Dataset, FineTuneJob

    data = tmp_path / "dev.conll"
    data.write_bytes(conll_bytes(12, 2))
    db = Database()
    try:
        with db.session() as session:
            version = registry.register_directory(
                session, model_name="ner", path=tiny_ner_model_dir
            )
        runner = CliRunner()
        queued = runner.invoke(
            main, ["export", "ner@1", "--store", "--queue", "--data", str(data), "--json"]
        )
        assert queued.exit_code == 0, queued.output
        shown = json.loads(queued.output)
        assert shown["kind"] == "export" and shown["status"] == "queued"
        assert not stored_exports(artifacts.resolve(version.path))  # nothing yet: queued

        worker = Worker(db.url, worker_id="cli-export", migrate=False, poll_interval=0.1)
        assert worker.run_once() is True
        with db.session() as session:
            job = session.get(FineTuneJob, shown["id"])
            assert job.status == "succeeded", job.error
            assert job.result["parity"]["sample"].startswith("12 ")
            assert session.get(Dataset, shown["dataset_id"]).name == "dev.conll"
        assert [e.precision for e in stored_exports(artifacts.resolve(version.path))] == ["fp32"]

        refused = runner.invoke(
            main, ["export", "ner@7", "--store", "--queue", "--data", str(data)]
        )
        assert refused.exit_code == 1 and "ner" in refused.output
        with db.session() as session:  # the refused queueing stored no dataset
            assert session.query(Dataset).count() == 1
        plain = runner.invoke(main, ["export", "ner@1", "-o", str(tmp_path / "x"), "--queue"])
        assert plain.exit_code == 2 and "add --store" in plain.output
    finally:
        db.dispose()
