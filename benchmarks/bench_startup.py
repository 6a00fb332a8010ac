"""Start-up time: ``oi --help`` and ``import open_interpreter``, with ``import torch`` as a floor.

    .venv/bin/python benchmarks/bench_startup.py            # ~30 s on a quiet 2-core CPU
    .venv/bin/python benchmarks/bench_startup.py --quick    # smoke run, 2 runs each

Each command runs in a fresh process, once untimed (so every one finds the files in the
page cache), then ``--runs`` times, the commands taking turns; the table gives the median
and the fastest wall time. ``import torch`` is context, not a reference: the package
imports torch only when a model is first needed, so it should start well below it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from common import (
    BenchmarkResult,
    Table,
    alternating,
    apply_sizes,
    base_parser,
    executable,
    isolated_environment,
    limit_target,
    machine,
    median,
    size_help,
    warn_if_busy,
)

COMMANDS = {
    "oi --help": [executable("oi"), "--help"],
    "import open_interpreter": [sys.executable, "-c", "import open_interpreter"],
    "import torch (floor, for context)": [sys.executable, "-c", "import torch"],
}
FULL = {"runs": 5}
QUICK = {"runs": 2}


def wall_time(command: list[str]) -> float:
    """Seconds ``command`` takes from start to exit; exits if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return seconds


def measure(runs: int) -> dict[str, list[float]]:
    """Each command's wall times: one warm-up each, then ``runs`` rounds taking turns."""
    for command in COMMANDS.values():
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _, name in alternating(list(COMMANDS), runs):
        times[name].append(wall_time(COMMANDS[name]))
    return times


def results_table(times: dict[str, list[float]]) -> Table:
    """One row per command: median and fastest, in seconds."""
    rows = [
        [name, f"{median(t):.3f}", f"{min(t):.3f}", ", ".join(f"{x:.2f}" for x in t)]
        for name, t in times.items()
    ]
    return Table("Start-up wall time (s)", ["command", "median", "fastest", "runs"], rows)


def parse_args(argv: list[str] | None = None) -> Any:
    """The command line."""
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, help=size_help("timed runs per command", "runs", FULL, QUICK)
    )
    args = parser.parse_args(argv)
    apply_sizes(args, FULL, QUICK)
    return args


def main(argv: list[str] | None = None) -> None:
    """Time the commands, print the table and write results/startup.json."""
    args = parse_args(argv)
    with isolated_environment():
        info = machine()
        warn_if_busy(info)
        times = measure(args.runs)
    help_median = median(times["oi --help"])
    result = BenchmarkResult(
        benchmark="startup",
        title="Start-up: the CLI and the package",
        command="python benchmarks/bench_startup.py" + (" --quick" if args.quick else ""),
        quick=args.quick,
        machine=info,
        settings={"runs": args.runs, "warmup_runs": 1},
        tables=[results_table(times)],
        targets=[limit_target("oi --help, median", round(help_median, 3), below=1.0, unit=" s")],
        notes=[
            f"import open_interpreter takes {median(times['import open_interpreter']):.2f} s "
            f"against {median(times['import torch (floor, for context)']):.2f} s for "
            "import torch alone.",
        ],
        raw={"seconds": times},
    )
    result.print()
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
