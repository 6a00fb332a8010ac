"""A watched directory: each new JSONL / CSV file is ingested once and moved to done/, a
malformed one to failed/ with its line, a half-written one (.part, or too fresh) waits;
``oi monitor watch --once`` does the same from the command line."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta

from click.testing import CliRunner

from open_interpreter.apps.monitor import AliasTable, EntityFinder, LexiconAnalyzer, Monitor
from open_interpreter.apps.monitor.watch import watch_once
from open_interpreter.cli import main

ALIASES = {"Acme": {"type": "company", "aliases": []}}
T0 = datetime(2024, 5, 1, 9, 0)


def lines(start: int, n: int) -> str:
    rows = [
        {
            "id": f"d{i}",
            "time": (T0 + timedelta(minutes=5 * i)).isoformat(),
            "source": "wire",
            "text": "Acme shares fell after losses.",
        }
        for i in range(start, start + n)
    ]
    return "".join(json.dumps(row) + "\n" for row in rows)


def aged(path, seconds: float = 10.0) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_each_file_is_ingested_once_then_moved(db, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.jsonl").write_text(lines(0, 3))
    (inbox / "b.csv").write_text(
        "id,time,source,text\n"
        "d2,2024-05-01T09:10:00,wire,Acme again\n"
        "d9,2024-05-01T10:00:00,wire,Acme\n"
    )
    (inbox / "bad.jsonl").write_text(lines(20, 1) + "{not json\n")
    (inbox / "c.jsonl.part").write_text(lines(30, 2))
    (inbox / "notes.txt").write_text("ignored")
    for path in inbox.iterdir():
        aged(path)
    (inbox / "fresh.jsonl").write_text(lines(40, 1))  # still being written, perhaps
    analyzer = LexiconAnalyzer(EntityFinder(AliasTable(ALIASES)))
    monitor = Monitor("acme", database=db, analyzer=analyzer, aliases=ALIASES)

    outcomes = {o.name: o for o in watch_once(monitor, inbox, settle_seconds=5)}
    assert set(outcomes) == {"a.jsonl", "b.csv", "bad.jsonl"}
    assert (outcomes["a.jsonl"].stored, outcomes["b.csv"].stored) == (3, 1)
    assert outcomes["b.csv"].duplicates == 1  # d2 came in a.jsonl
    assert outcomes["bad.jsonl"].outcome == "failed" and ":2:" in outcomes["bad.jsonl"].error
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a.jsonl", "b.csv"]
    assert "bad.jsonl.error.txt" in {p.name for p in (inbox / "failed").iterdir()}
    assert watch_once(monitor, inbox, settle_seconds=5) == []  # nothing new

    (inbox / "a.jsonl").write_text(lines(0, 4))  # the same name again: a new file
    aged(inbox / "a.jsonl")
    aged(inbox / "fresh.jsonl")
    again = {o.name: o for o in watch_once(monitor, inbox, settle_seconds=5)}
    assert (again["a.jsonl"].stored, again["a.jsonl"].duplicates) == (1, 3)
    assert again["fresh.jsonl"].stored == 1
    assert {"a.jsonl", "a.1.jsonl"} <= {p.name for p in (inbox / "done").iterdir()}


def test_oi_monitor_watch_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'oi.db'}"
    aliases = tmp_path / "aliases.json"
    aliases.write_text(json.dumps(ALIASES))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "news.jsonl").write_text(lines(0, 5))
    aged(inbox / "news.jsonl")
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "monitor",
            "create",
            "acme",
            "--aliases",
            str(aliases),
            "--sentiment",
            "lexicon",
            "--database-url",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    done = runner.invoke(
        main, ["monitor", "watch", "acme", str(inbox), "--once", "--database-url", url]
    )
    assert done.exit_code == 0, done.output
    assert "news.jsonl: 5 stored, 0 already known" in done.output
    assert (inbox / "done" / "news.jsonl").exists()
