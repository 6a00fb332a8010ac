"""``oi monitor create | replay | alerts | series`` through click's runner."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner

from open_interpreter.cli import main

GOOD = "Acme Corp reported strong gains and record profits."
BAD = "Acme shares fell after losses and a fraud investigation."


def write_news(path, texts):
    start = datetime(2024, 5, 1, 9)
    lines = [
        json.dumps(
            {
                "id": f"d{i}",
                "time": (start + timedelta(minutes=5 * i)).isoformat(),
                "source": "wire",
                "text": text,
            }
        )
        for i, text in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_create_replay_and_read_alerts(tmp_path):
    url = f"sqlite:///{tmp_path / 'oi.db'}"
    aliases = tmp_path / "aliases.json"
    aliases.write_text(json.dumps({"Acme": {"type": "company", "aliases": ["Acme Corp"]}}))
    news = tmp_path / "news.jsonl"
    write_news(news, [GOOD] * 3 + [BAD] * 7)
    runner = CliRunner()
    rule = '{"name": "negative", "kind": "threshold", "above": 0.6, "min_volume": 3}'
    made = runner.invoke(
        main,
        [
            "monitor",
            "create",
            "acme",
            "--aliases",
            str(aliases),
            "--rule",
            rule,
            "--window",
            "30",
            "--step",
            "10",
            "--sentiment",
            "lexicon",
            "--database-url",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    assert "1 entities, 1 rules" in made.output and "sentiment by lexicon" in made.output
    replayed = runner.invoke(main, ["monitor", "replay", "acme", str(news), "--database-url", url])
    assert replayed.exit_code == 0, replayed.output
    assert "ALERT 2024-05-01T09:40:00 entity:Acme" in replayed.output
    assert "10 documents stored, 0 already known, 1 alerts" in replayed.output
    again = runner.invoke(main, ["monitor", "replay", "acme", str(news), "--database-url", url])
    assert "0 documents stored, 10 already known, 0 alerts" in again.output
    listed = runner.invoke(main, ["monitor", "alerts", "acme", "--json", "--database-url", url])
    [alert] = json.loads(listed.output)
    assert alert["rule"] == "negative" and len(alert["document_ids"]) == 6
    points = runner.invoke(
        main, ["monitor", "series", "acme", "entity:Acme", "--database-url", url]
    )
    assert points.exit_code == 0 and "volume    6" in points.output


def test_bad_input_is_one_line_with_the_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'oi.db'}"
    runner = CliRunner()
    bad_rule = runner.invoke(
        main,
        [
            "monitor",
            "create",
            "m",
            "--rule",
            '{"name": "x", "kind": "threshold"}',
            "--database-url",
            url,
        ],
    )
    assert bad_rule.exit_code == 1 and "needs above or below" in bad_rule.output
    runner.invoke(main, ["monitor", "create", "m", "--sentiment", "lexicon", "--database-url", url])
    news = tmp_path / "news.jsonl"
    news.write_text(
        '{"id": "1", "time": "2024-05-01T09:00:00", "source": "s", "text": "t"}\n'
        '{"id": "2", "time": "2024-05-01T09:00:00", "source": "s"}\n'
    )
    replayed = runner.invoke(main, ["monitor", "replay", "m", str(news), "--database-url", url])
    assert replayed.exit_code == 1
    assert "news.jsonl:2: document is missing text" in replayed.output
    missing = runner.invoke(main, ["monitor", "alerts", "nope", "--database-url", url])
    assert missing.exit_code == 1 and "no monitor named 'nope'" in missing.output
