"""The README's Quick start, run verbatim: its Python block is read from README.md."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

README = Path(__file__).parents[2] / "README.md"


def quick_start_code() -> str:
    """The first ```python block under the README's "## Quick start" heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README's Quick start has no python block"
    return match.group(1)


def test_the_readme_quick_start_runs_as_written(tmp_path, monkeypatch, capsys):
    from open_interpreter.data.packaged import PACKAGED_DATASETS
    from open_interpreter.models import CATALOGUE

    for package in (CATALOGUE["minilm-l6"].module, PACKAGED_DATASETS["wnut16"].package):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (make setup installs it)")
    code = quick_start_code()
    assert "package:wnut16" in code and "../shared" not in code  # packaged data only
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # the README's code, as a reader runs it

    printed = capsys.readouterr().out
    assert re.search(r"^Accuracy: [01]\.\d\d$", printed, re.MULTILINE)
    assert "Entity level (strict IOB2)" in printed
    result = namespace["result"]
    assert result.data == {"train": 240, "validation": 30, "test": 30}
    assert result.task == "token-classification"
    assert (tmp_path / "my-ner-model" / "oi_model.json").is_file()
