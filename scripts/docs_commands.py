#!/usr/bin/env python
"""Run every shell command of README.md and docs/*.md and report which fail.

Commands come from the fenced ``bash`` / ``sh`` / ``shell`` / ``console`` blocks (in a
``console`` block, only the lines after a ``$ `` prompt), with ``\\`` continuations and
quoted strings spanning lines joined. Each is put in one of three groups:

- fast: ``oi`` commands that load no model (help, listings, keys, prompts, runs, the
  database): run by default, and in CI by ``tests/test_docs_commands.py``;
- slow: everything else that trains, scores or generates (``oi train``, ``oi predict``,
  ``make bench``...): run with ``--slow``, after ``make demo`` (they use its model);
- skipped, with the reason: servers and interactive sessions (``oi serve``, ``oi chat``),
  requests to a running server (``curl``), installs, commands with placeholders
  (``ft_3f9a…``, ``oi_…``) and commands on ``../shared`` data where it is absent.

``--smoke`` checks that the slow commands work as written, without their full cost: a
training command (``oi train``, ``oi tune``, ``oi continue``) gets ``data.limit=64
epochs=1`` (and ``n_trials=2``; ``data.eval_limit=200`` but for ``oi continue``)
appended, ``oi prompt eval`` ``dev_size=20``, ``--limit`` options become 20, and the
benchmarks and the test suite, which are their own checks, are skipped. Names, files,
options and the order of the pages are exercised; figures are not.

Commands run in document order, with ``.venv/bin`` first on PATH, in a scratch directory
that reads like the repository root (its entries linked, ``../shared`` beside it) so
what they write stays out of the repository, and in a fresh ``OI_HOME`` per page
(SQLite database there) unless ``--home`` is given.

Usage:
    python scripts/docs_commands.py                     # the fast commands, fresh OI_HOME
    python scripts/docs_commands.py --list              # what would run, and why not
    python scripts/docs_commands.py --slow --home ~/.open_interpreter   # after make demo
    python scripts/docs_commands.py --only "oi runs"    # commands containing a text
    python scripts/docs_commands.py --slow --page docs/cli.md   # one page, in its own OI_HOME
    python scripts/docs_commands.py --slow --smoke --home DIR   # every command, small sizes

Exit status 1 when a command that ran failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}

# `oi` commands that load no model: fast enough to run on every CI build.
FAST = (
    "oi --help",
    "oi -h",
    "oi -V",
    "oi --version",
    "oi models list",
    "oi models info",
    "oi keys create",
    "oi keys list",
    "oi prompt save",
    "oi prompt list",
    "oi prompt show",
    "oi prompt diff",
    "oi prompt delete",
    "oi prompt import",
    "oi runs list",
    "oi studies list",
    "oi db status",
    "oi db upgrade",
    "_OI_COMPLETE=",
)
SKIP = (
    (re.compile(r"^oi serve\b|^OI_\w+=\S+ oi serve\b"), "starts a server that runs until stopped"),
    (re.compile(r"^oi chat\b"), "an interactive chat"),
    (re.compile(r"^oi worker\b(?!.*--once)"), "a worker that runs until stopped"),
    (re.compile(r"^oi monitor watch\b(?!.*--once)"), "watches a folder until stopped"),
    (re.compile(r"^make (demo|test)\b"), "make demo serves until stopped; make test is the suite"),
    (re.compile(r"\bcurl\b|^AUTH="), "a request to a running server (docs/api.md walkthrough)"),
    (re.compile(r"^(pip|\S*/pip|apt|sudo|createuser|pg_dump|psql)\b"), "installs or administers"),
    (re.compile(r"^eval\b|^\. |^source\b|^export\b|^cd\b"), "changes the reader's shell"),
    (re.compile(r"…|\.\.\.|<[A-Za-z_]+>|\b(ft|key|ds|ev)_[0-9a-f]{6,}|\boi_\w*…"), "a placeholder"),
    (re.compile(r"scripts/(fuzz|postgres)\.sh"), "long-running or starts a database server"),
    (re.compile(r"\| source$"), "fish syntax"),
    (re.compile(r"\[--?\w"), "shows optional arguments in [brackets]"),
    (re.compile(r"^docker\b"), "needs Docker"),
    (re.compile(r"^oi models push\b"), "uploads to the Hugging Face Hub (online, a token)"),
    (re.compile(r"^oi models feedback topics\b"), "the walkthrough's model, fed by its curl calls"),
    (re.compile(r"^make setup\b"), "installs"),
    (re.compile(r"\borg/name\b|(^| )[A-Z]{3,}( |$)"), "a placeholder"),
    (re.compile(r"^oi (prompt delete|models rm)\b(?!.*(--yes|-y\b))"), "asks the reader first"),
)


# What --smoke leaves out: benchmarks and the suite, each a long check of its own.
HEAVY = re.compile(
    r"^(nice -n \d+ )?(\.venv/bin/)?(python|pytest)\b.*(benchmarks/|tests/|-m browser)"
    r"|^make (bench|prompt-table|screenshots)\b|^\.venv/bin/pytest\b"
)
SMOKE_TRAINING = re.compile(r"^oi (train|tune|continue)\b")
SMOKE_SIZES = "data.limit=64 epochs=1"
SORTED_BY_LABEL = ("examples/bbc_topics.yaml",)
"""Configs whose data is sorted by label: a limit would keep one label (BBC News's first
articles are all business), so --smoke trains them for a few steps on short inputs."""
SMOKE_STEPS = "epochs=1 max_steps=4 max_length=64"
SMOKE_SCORING = "data.eval_limit=200"
"""Scoring a full dev set (CoNLL-2003's 3,250 sentences) before and after is full cost."""


def smoke(command: Command) -> Command:
    """``command`` at --smoke's small sizes, or skipped when it is a benchmark or the suite."""
    bare = " ".join(shlex.split(command.text, comments=True))
    if HEAVY.search(bare):
        command.group, command.reason = "skip", "a benchmark or the test suite (--smoke)"
        return command
    text = re.sub(r"--limit \d+", "--limit 20", command.text.split(" #")[0].rstrip())
    if SMOKE_TRAINING.search(text):
        sizes = SMOKE_STEPS if any(c in text for c in SORTED_BY_LABEL) else SMOKE_SIZES
        text += f" {sizes}" + (" n_trials=2" if text.startswith("oi tune") else "")
        if not text.startswith("oi continue"):
            text += f" {SMOKE_SCORING}"
    elif text.startswith("oi prompt eval"):
        text += " dev_size=20"
    command.text = text
    return command


DATA_FILE = re.compile(r"\.(csv|tsv|conll|jsonl|json|txt)$")
OUTPUT_OPTIONS = {"-o", "--output", "--out", "--json", "--html"}


@dataclass
class Command:
    """One command of the docs."""

    file: str
    line: int
    text: str
    group: str = "fast"  # fast, slow or skip
    reason: str = ""
    status: str = "not run"  # ok, failed, skipped
    seconds: float = 0.0
    output: str = field(default="", repr=False)


def _complete(buffer: str) -> bool:
    try:
        shlex.split(buffer, comments=True)
    except ValueError:
        return False  # a quoted string goes on on the next line
    return not buffer.rstrip().endswith("\\")


def commands_in(path: Path) -> list[Command]:
    """The shell commands of ``path``'s fenced shell blocks, in order."""
    found: list[Command] = []
    language, buffer, start = None, "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```\s*([\w-]*)", line)
        if fence:
            language = None if language is not None else (fence.group(1) or "text")
            buffer = ""
            continue
        if language not in SHELL_LANGUAGES:
            continue
        if not buffer:
            stripped = line.strip()
            if language == "console":
                if not stripped.startswith("$ "):
                    continue
                stripped = stripped[2:]
            if not stripped or stripped.startswith("#"):
                continue
            buffer, start = stripped, number
        else:
            buffer = (
                buffer[:-1] + " " + line.strip() if buffer.endswith("\\") else buffer + "\n" + line
            )
        if _complete(buffer):
            text = buffer.strip()
            name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            found.append(Command(name, start, text))
            buffer = ""
    return found


def classify(command: Command, shared: bool) -> Command:
    """Put ``command`` in the fast, slow or skip group."""
    text = command.text
    bare = " ".join(shlex.split(text, comments=True))  # without its comments
    for pattern, reason in SKIP:
        if pattern.search(bare):
            command.group, command.reason = "skip", reason
            return command
    if "../shared" in text and not shared:
        command.group, command.reason = "skip", "needs ../shared data, absent here"
        return command
    words = shlex.split(text, comments=True)
    for before, word in zip(["", *words], words, strict=False):
        if (
            DATA_FILE.search(word)
            and before not in OUTPUT_OPTIONS
            and not word.startswith("../shared")
            and not (ROOT / word).exists()
        ):
            command.group, command.reason = "skip", f"the reader's own file {word}"
            return command
    asks_for_help = "--help" in words or ("-h" in words and words[:1] == ["oi"])
    fast = asks_for_help or any(text.startswith(prefix) for prefix in FAST)
    command.group = "fast" if fast else "slow"
    return command


def collect(shared: bool | None = None) -> list[Command]:
    """Every command of README.md and docs/*.md, classified."""
    shared = (ROOT.parent / "shared" / "data").is_dir() if shared is None else shared
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [classify(c, shared) for path in paths for c in commands_in(path)]


def environment(home: Path) -> dict[str, str]:
    """The commands' environment: ``.venv/bin`` first, ``OI_HOME`` set, no database URL
    of the caller's (the home's SQLite), the Hub off."""
    env = {k: v for k, v in os.environ.items() if k != "OI_DATABASE_URL"}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["OI_HOME"] = str(home)
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def oi_arguments(text: str) -> list[list[str]] | None:
    """The argument lists of ``text`` when it is only ``oi`` commands separated by ``;``
    or ``&&`` (then they can run in this process), else None."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split, lexer.commenters = True, "#"
    calls: list[list[str]] = [[]]
    for token in lexer:
        if token in (";", "&&"):
            calls.append([])
        elif set(token) <= set(";&|<>()") or "$" in token:
            return None
        else:
            calls[-1].append(token)
    calls = [call for call in calls if call]
    return calls if calls and all(call[0] == "oi" for call in calls) else None


def run_in_process(command: Command, env: dict[str, str]) -> bool:
    """Run ``command`` through click's test runner when it is only ``oi`` calls (much
    faster than a process per command); False when it is not."""
    calls = oi_arguments(command.text)
    if calls is None:
        return False
    from click.testing import CliRunner

    from open_interpreter.cli import main as oi

    started, outputs, status = time.perf_counter(), [], "ok"
    for call in calls:
        result = CliRunner().invoke(oi, call[1:], env=env, catch_exceptions=True)
        outputs.append(result.output)
        if result.exit_code != 0:
            status = "failed"
            if result.exception and not isinstance(result.exception, SystemExit):
                outputs.append(repr(result.exception))
            break
    command.status, command.output = status, "".join(outputs)[-2000:]
    command.seconds = time.perf_counter() - started
    return True


def workspace(scratch: Path) -> Path:
    """A working directory that reads like the repository root (its entries linked, and
    ``../shared`` beside it) but keeps what the commands write (``-o exports/...``,
    ``report.json``) out of the repository."""
    work = scratch / "work"
    work.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name != ".git" and not (work / entry.name).exists():
            (work / entry.name).symlink_to(entry)
    shared = ROOT.parent / "shared"
    if shared.exists() and not (scratch / "shared").exists():
        (scratch / "shared").symlink_to(shared)
    return work


def run(
    command: Command,
    env: dict[str, str],
    timeout: float,
    in_process: bool = False,
    cwd: Path = ROOT,
) -> Command:
    """Run one command (with bash, or in this process when asked and possible); note its
    status, time and output."""
    if in_process and run_in_process(command, env):
        return command
    started = time.perf_counter()
    try:
        done = subprocess.run(
            ["bash", "-c", command.text],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        command.status = "ok" if done.returncode == 0 else "failed"
        command.output = (done.stdout + done.stderr)[-2000:]
    except subprocess.TimeoutExpired:
        command.status, command.output = "failed", f"timed out after {timeout:g} s"
    command.seconds = time.perf_counter() - started
    return command


def main(argv: list[str] | None = None) -> int:
    """Run the commands and print a report; 1 when one failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", action="store_true", help="Run the slow commands too.")
    parser.add_argument("--list", action="store_true", help="List the commands; run nothing.")
    parser.add_argument("--only", help="Only commands containing this text.")
    parser.add_argument("--page", help="Only the commands of this page (docs/cli.md).")
    parser.add_argument("--home", type=Path, help="OI_HOME to run in (default: a fresh one).")
    parser.add_argument("--timeout", type=float, default=600, help="Seconds per command.")
    parser.add_argument(
        "--in-process", action="store_true", help="Run plain `oi` commands in this process."
    )
    parser.add_argument(
        "--smoke", action="store_true", help="Small sizes for training; no benchmarks."
    )
    args = parser.parse_args(argv)
    commands = [
        c
        for c in collect()
        if (not args.only or args.only in c.text) and (not args.page or c.file == args.page)
    ]
    if args.smoke:
        commands = [smoke(c) if c.group == "slow" else c for c in commands]
    groups = {"fast", "slow"} if args.slow else {"fast"}
    if args.list:
        for c in commands:
            why = f"  ({c.reason})" if c.reason else ""
            print(f"{c.group:<5} {c.file}:{c.line}  {c.text.splitlines()[0]}{why}")
        return 0
    with tempfile.TemporaryDirectory(prefix="oi-docs-") as fresh:
        cwd = workspace(Path(fresh))
        for c in commands:
            if c.group not in groups:
                c.status = "skipped"
                continue
            # each page is read on its own: a fresh OI_HOME per file unless --home is given
            home = args.home.expanduser() if args.home else Path(fresh) / c.file.replace("/", "_")
            run(c, environment(home), args.timeout, args.in_process, cwd)
            mark = "ok  " if c.status == "ok" else "FAIL"
            print(
                f"{mark} {c.seconds:6.1f}s {c.file}:{c.line}  {c.text.splitlines()[0]}", flush=True
            )
    failed = [c for c in commands if c.status == "failed"]
    for c in failed:
        print(f"\n--- {c.file}:{c.line}: {c.text}\n{c.output.strip()}")
    ran = sum(c.status in ("ok", "failed") for c in commands)
    print(f"\n{ran} run, {len(failed)} failed, {len(commands) - ran} not run (--list says why)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
