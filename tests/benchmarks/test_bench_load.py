"""``benchmarks/bench_load.py`` runs end to end: the real server (SQLite, keys on, a job
training), four clients for three seconds on tiny models, and not one error.

A smoke run of the harness, not a measurement: ``python benchmarks/bench_load.py`` is
the measurement (docs/reliability.md).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
def test_the_load_benchmark_runs_every_route_without_errors(
    tiny_bert_dir, tiny_llama_dir, tmp_path, monkeypatch
):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.delenv("OI_DATABASE_URL", raising=False)
    bench_load = importlib.import_module("bench_load")
    argv = ["--quick", "--clients", "4", "--seconds", "3", "--results-dir", str(tmp_path)]
    argv += ["--encoder", str(tiny_bert_dir), "--generator", str(tiny_llama_dir)]

    bench_load.main(argv)

    result = json.loads((tmp_path / "load-sqlite.json").read_text())
    assert result["settings"]["database"] == "sqlite" and result["settings"]["clients"] == 4
    routes, memory = result["tables"]
    *per_route, everything = routes["rows"]
    assert len(per_route) == len(bench_load.MIX)
    assert int(everything[1]) > 0 and everything[4] == "0", routes  # calls, errors
    (row,) = memory["rows"]
    assert float(row[0]) > 0 and row[-1] == "cancelled"  # server RSS, the job cancelled
    assert [target["met"] for target in result["targets"]] == [True]
