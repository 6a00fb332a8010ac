"""``scripts/docs_commands.py``: which commands it finds in the docs and how it sorts them;
and the fast commands of README.md and docs/*.md all work as written."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "docs_commands.py"
spec = importlib.util.spec_from_file_location("docs_commands", SCRIPT)
docs_commands = importlib.util.module_from_spec(spec)
sys.modules["docs_commands"] = docs_commands  # dataclasses look their module up
spec.loader.exec_module(docs_commands)


def test_commands_are_read_from_shell_blocks_only(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Text `oi not-a-command`.\n"
        "```python\noi = 1\n```\n"
        "```bash\n"
        "# a comment\n"
        "oi train a.yaml \\\n    epochs=1      # two lines\n"
        "curl -d '{\n  \"a\": 1\n}' http://x\n"
        "```\n"
        "```console\n$ oi models list\nName  Kind\n```\n"
    )
    found = docs_commands.commands_in(page)
    assert [(c.line, c.text.splitlines()[0]) for c in found] == [
        (7, "oi train a.yaml  epochs=1      # two lines"),
        (9, "curl -d '{"),
        (14, "oi models list"),
    ]


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("oi models list --json", "fast"),
        ("oi predict wnut16_ner 'Paris'", "slow"),
        ("oi train --help", "fast"),
        ("oi serve --port 8000", "skip"),
        ("oi chat smollm2-135m-instruct", "skip"),
        ("curl -s http://127.0.0.1:8000/health", "skip"),
        ("oi runs show ft_3f9a1c0b7e2d4a61", "skip"),
        ("oi prompt delete topic   # asks first (--yes does not)", "skip"),
        ("oi prompt delete topic --yes", "fast"),
        ("oi evaluate m tweets.conll --json report.json", "skip"),
        ("oi evaluate m ../shared/data/conll2003/eng.testa", "skip"),
    ],
)
def test_commands_are_sorted_into_fast_slow_and_skipped(text, group):
    command = docs_commands.classify(docs_commands.Command("x.md", 1, text), shared=False)
    assert command.group == group, command.reason


def test_only_plain_oi_calls_run_in_process():
    assert docs_commands.oi_arguments("oi prompt list;  oi prompt show t@1  # c") == [
        ["oi", "prompt", "list"],
        ["oi", "prompt", "show", "t@1"],
    ]
    for text in ("oi models list | head", "X=1 oi serve", "oi keys create $(date)", "ls"):
        assert docs_commands.oi_arguments(text) is None


@pytest.mark.integration
def test_every_fast_command_of_the_docs_works_as_written(capsys):
    status = docs_commands.main(["--in-process"])
    report = capsys.readouterr().out
    assert status == 0, report
    assert " 0 failed" in report and "docs/cli.md" in report
