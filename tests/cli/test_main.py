"""``oi --help``: fast, and without importing torch."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from open_interpreter.cli import main


def test_help_is_fast_and_light():
    code = "import sys, open_interpreter.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "evaluate", "predict", "models"):
        assert command in result.output
