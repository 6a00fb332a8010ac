"""``benchmarks/report.py`` renders docs/benchmarks.md from result files (no benchmark runs).

The benchmarks themselves are timed scripts run by ``make bench``, never by pytest; this
keeps the report code that turns their JSON into Markdown from rotting.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

REPORT = Path(__file__).resolve().parents[2] / "benchmarks" / "report.py"

MACHINE = {
    "cpu": "AMD EPYC",
    "cores": 2,
    "ram_gb": 23.5,
    "native_bf16": True,
    "gpu": None,
    "python": "3.11.7",
    "torch": "2.13.0+cpu",
    "transformers": "5.24.0",
    "open_interpreter": "0.1.0",
    "load_average": 0.1,
    "busy_cores": 0.05,
    "date": "2026-11-29 06:00 UTC",
}
RESULT = {
    "benchmark": "inference",
    "title": "Inference: tagging CoNLL-2003 sentences, minilm-l6",
    "command": "python benchmarks/bench_inference.py",
    "quick": False,
    "machine": MACHINE,
    "settings": {"sentences": 3250, "rounds": 2},
    "tables": [
        {
            "title": "Tagging 3250 eng.testa sentences",
            "columns": ["run", "sentences/s"],
            "rows": [["Open Interpreter predict", "412.0"], ["pipeline, default", "97.5"]],
        }
    ],
    "targets": [
        {
            "what": "sentences/s vs default pipeline",
            "ours": "412.0",
            "reference": "97.5",
            "comparison": "4.23×",
            "goal": "≥ 3×",
            "met": True,
        }
    ],
    "notes": ["Both pipeline variants use aggregation_strategy='first'."],
    "raw": {},
}


@pytest.fixture
def report() -> ModuleType:
    """``benchmarks/report.py`` imported from its file (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("benchmarks_report", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_renders_tables_machine_and_targets(report: ModuleType, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "inference.json").write_text(json.dumps(RESULT), encoding="utf-8")
    (results / "robustness_other.json").write_text(json.dumps({"clean": 0.9}), encoding="utf-8")
    output = tmp_path / "benchmarks.md"

    assert report.main(["--results-dir", str(results), "--output", str(output)]) == 0

    page = output.read_text(encoding="utf-8")
    assert "## Machine" in page
    assert "| CPU | AMD EPYC |" in page
    assert "| torch | 2.13.0+cpu |" in page
    assert "## Inference: tagging CoNLL-2003 sentences, minilm-l6" in page
    assert "| run | sentences/s |\n| --- | --- |\n| Open Interpreter predict | 412.0 |" in page
    assert "| sentences/s vs default pipeline | 412.0 | 97.5 | 4.23× | ≥ 3× | yes |" in page
    assert "robustness" not in page  # other reports in the folder are not benchmarks
    assert "Smoke run" not in page and "The machine was busy" not in page


def test_report_flags_smoke_runs_and_busy_machines(report: ModuleType) -> None:
    smoke = {**RESULT, "quick": True, "machine": {**MACHINE, "busy_cores": 1.6}}

    page = report.render([smoke])

    assert "Smoke run (`--quick`)" in page
    assert "1.6 of 2 cores in use by other work" in page


def test_report_without_results_says_how_to_get_them(report: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"

    report.main(["--results-dir", str(tmp_path / "missing"), "--output", str(output)])

    assert "No results yet: run `make bench`." in output.read_text(encoding="utf-8")
