"""Registering continued versions behind the champion / challenger gate, audited; and the
``oi continue`` / ``oi models report --continual`` commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from open_interpreter.cli import main
from open_interpreter.continual import ContinualState
from open_interpreter.errors import ConfigError
from open_interpreter.services import audit, registry
from open_interpreter.services.continual import register_continued

from .helpers import FAST, topic_texts


def _with_scores(path: Path, into: Path, last_row: list[float]) -> Path:
    """A copy of the saved model ``path`` whose record claims ``last_row`` as its scores."""
    shutil.copytree(path, into)
    state = ContinualState.load(into)
    state.matrix[-1] = last_row
    state.save(into)
    return into


def test_the_first_version_is_promoted_and_a_worse_challenger_is_not(db, first, tmp_path):
    with db.session() as session:
        row, decision = register_continued(session, model_name="topics", path=first)
        assert decision.promoted and row.stage == "production"
        champion = ContinualState.load(first).matrix[-1][0]
    worse = _with_scores(first, tmp_path / "worse", [champion - 0.5])
    with db.session() as session:
        row, decision = register_continued(session, model_name="topics", path=worse, margin=0.1)
        assert not decision.promoted and row.stage == "none"
        assert "is NOT" in decision.failed[0]
        gate = registry.get_version(session, "topics", version=2).lineage["continual"]["gate"]
        assert gate["promoted"] is False and gate["champion"] == [pytest.approx(champion)]
        assert registry.get_version(session, "topics").version == 1  # still the champion
        events, _ = audit.list_events(session, target="topics")
        actions = [(e.action, e.target) for e in events]
        assert ("model.register", "topics@1") in actions
        assert ("model.register", "topics@2") in actions
        assert ("model.promote", "topics@1") in actions
        assert ("model.promote", "topics@2") not in actions


def test_a_model_without_a_record_cannot_go_behind_the_gate(db, first, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(first, plain)
    shutil.rmtree(plain / "continual")
    with db.session() as session, pytest.raises(ConfigError, match="no continual record"):
        register_continued(session, model_name="topics", path=plain)


def test_oi_continue_saves_reports_and_the_report_command_reads_it_back(first, tmp_path):
    texts, labels = topic_texts(30)
    data = tmp_path / "new.csv"
    data.write_text(
        "text,label\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels, strict=True))
    )
    out = tmp_path / "v2"
    options = [f"{k}={v}" for k, v in {**FAST, "epochs": 1}.items()]
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "continue",
            str(first),
            str(data),
            "--strategy",
            "replay",
            "--output",
            str(out),
            "--task-name",
            "topics",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "new labels: animals, places" in result.output
    assert "| 1 (topics) | replay |" in result.output
    shown = runner.invoke(main, ["models", "report", str(out), "--continual", "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["tasks"] == ["sentiment", "topics"] and set(report["forgetting"]) == {"sentiment"}
    bad = runner.invoke(main, ["continue", str(first), str(data), "--label-map", "oops"])
    assert bad.exit_code != 0 and "NEW=OLD" in bad.output
    none = runner.invoke(main, ["models", "report", str(first)])
    assert none.exit_code != 0 and "--continual" in none.output
