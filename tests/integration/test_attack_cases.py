"""The six attacks of docs/security.md, replayed by ``scripts/attack_cases.py`` against a
real ``oi serve`` (a smaller body than the script's default 1.5 GB)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "attack_cases.py"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_attack_gets_its_documented_answer(isolated_home):
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--body-mb", "64"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = run.stdout.splitlines()[1:]
    assert len(rows) == 6 and "differs" not in run.stdout
