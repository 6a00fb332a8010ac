"""``oi models register`` of a saved directory is audited as ``model.register``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.services.audit import list_events
from open_interpreter.storage import Database


def test_registering_a_directory_from_the_cli_is_audited(tiny_ner_model_dir: Path):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["models", "register", "ner", str(tiny_ner_model_dir)])
        assert result.exit_code == 0, result.output
    with Database().session() as session:
        events, _ = list_events(session, action="model.register")
    assert sorted(event.target for event in events) == ["ner@1", "ner@2"]
    assert {(event.actor, event.detail["source"]) for event in events} == {("cli", "directory")}
