"""What every benchmark shares: paths, CoNLL-2003, the machine, sizes, targets and results.

Each benchmark runs Open Interpreter and a reference side by side in one run, prints a
table of raw figures and a table of targets (ours / reference ratios), and writes
``benchmarks/results/<name>.json``; ``benchmarks/report.py`` turns those files into
docs/benchmarks.md. The benchmarks are scripts (``python benchmarks/bench_*.py``), so this
module is imported as ``common`` from their directory.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from open_interpreter.data import TokenExamples

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCHMARKS_DIR / "results"
CONLL_DIR = ROOT.parent / "shared" / "data" / "conll2003"
BIN_DIR = Path(sys.executable).parent
MODEL = "minilm-l6"

# The model fine-tuned for the inference and serving benchmarks: quick, but good enough
# that it finds entities (lr 1e-4 as in the shipped CoNLL example).
BENCH_MODEL_SETTINGS = {"learning_rate": 1e-4, "epochs": 1, "batch_size": 16}


def latency_percentiles(values: list[float]) -> dict[str, float]:
    """p50, p99 (nearest rank) and mean of latencies in milliseconds, rounded to 0.1 ms,
    and how many there were."""
    import statistics

    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(p99, 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "n": len(ordered),
    }


# -- setup ---------------------------------------------------------------------------------


def base_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark has: ``--quick``, ``--seed``, ``--results-dir``."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes: a smoke run that proves the benchmark works, not a measurement",
    )
    parser.add_argument("--seed", type=int, default=42, help="data subsets and training seed")
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help=f"where <name>.json goes (default {RESULTS_DIR.relative_to(ROOT)})",
    )
    return parser


def add_database_url(parser: argparse.ArgumentParser, *, sqlite_fallback: bool = False) -> None:
    """``--database-url``: a PostgreSQL server on which the run creates (and afterwards drops)
    a database of its own; ``$OI_DATABASE_URL`` by default. Without ``sqlite_fallback`` the
    benchmark needs PostgreSQL: check it with :func:`require_postgresql` after parsing."""
    fallback = "; without either, SQLite" if sqlite_fallback else ""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("OI_DATABASE_URL"),
        help="a PostgreSQL server URL: the run creates a database of its own there and drops "
        f"it afterwards (default: $OI_DATABASE_URL{fallback})",
    )


def require_postgresql(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error unless ``--database-url`` names a PostgreSQL server."""
    if not (args.database_url or "").startswith("postgresql"):
        parser.error("needs PostgreSQL: --database-url $(./scripts/postgres.sh)")


def apply_sizes(args: argparse.Namespace, full: dict[str, Any], quick: dict[str, Any]) -> None:
    """Fill every size option left unset (None) from ``quick`` or ``full``."""
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)


def size_help(what: str, key: str, full: dict[str, Any], quick: dict[str, Any]) -> str:
    """Help text naming an option's full and ``--quick`` defaults."""
    return f"{what} (default {full[key]}; --quick {quick[key]})"


@contextmanager
def isolated_environment() -> Iterator[Path]:
    """Point ``OI_HOME`` at a fresh temporary directory and keep the Hugging Face Hub off.

    Child processes inherit both, so nothing reads or writes the user's home, and no run
    waits on the network: every model here is a local directory.
    """
    saved = {name: os.environ.get(name) for name in ("OI_HOME", "HF_HUB_OFFLINE")}
    with tempfile.TemporaryDirectory(prefix="oi-bench-") as home:
        os.environ["OI_HOME"] = home
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            yield Path(home)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def model_path() -> Path:
    """The directory ``minilm-l6`` resolves to, so a reference loads the very same files."""
    from open_interpreter.models import resolve_model

    return resolve_model(MODEL).path


def executable(name: str) -> str:
    """A console script of this virtual environment (``oi``), else the one on PATH."""
    candidate = BIN_DIR / name
    return str(candidate) if candidate.exists() else name


# -- data ----------------------------------------------------------------------------------


def conll_file(split: str) -> Path:
    """``eng.<split>`` of CoNLL-2003; exits with a clear message when it is absent."""
    path = CONLL_DIR / f"eng.{split}"
    if not path.is_file():
        sys.exit(
            f"CoNLL-2003 not found: expected {path}. The benchmarks read it from "
            "../shared/data/conll2003 next to the repository (eng.train, eng.testa); "
            "it is never copied into the repository."
        )
    return path


def load_conll(split: str, size: int | None = None, seed: int = 42) -> TokenExamples:
    """``size`` sentences of ``eng.<split>`` drawn with ``seed`` (kept in file order), or all."""
    from open_interpreter.data import read_conll

    examples = read_conll(conll_file(split))
    if size is None or size >= len(examples):
        return examples
    return examples.subset(sorted(random.Random(seed).sample(range(len(examples)), size)))


def fine_tune_bench_model(
    out_dir: Path, *, size: int, seed: int, epochs: int | None = None
) -> Path:
    """Fine-tune ``minilm-l6`` on ``size`` CoNLL-2003 sentences and save it to ``out_dir``.

    Both sides of the inference and serving benchmarks load this one directory: it is a
    plain ``transformers`` folder with its tokenizer. ``epochs`` overrides
    :data:`BENCH_MODEL_SETTINGS`' one epoch.
    """
    from open_interpreter import OpenInterpreter

    interpreter = OpenInterpreter(MODEL)
    interpreter.fine_tune(
        train_data=load_conll("train", size, seed),
        seed=seed,
        progress=False,
        **{**BENCH_MODEL_SETTINGS, **({"epochs": epochs} if epochs else {})},
    )
    return interpreter.save(out_dir)


def word_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    """Character span of each word in ``" ".join(tokens)``."""
    spans, start = [], 0
    for token in tokens:
        spans.append((start, start + len(token)))
        start += len(token) + 1
    return spans


# -- the machine ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on; call it first, before the benchmark loads the CPU."""
    import torch
    import transformers

    from open_interpreter import __version__
    from open_interpreter.runtime import cpu_has_native_bf16

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpuinfo_field("model name") or platform.processor() or "unknown",
        "cores": cores,
        "ram_gb": round(_meminfo_kb("MemTotal") / 1024**2, 1),
        "torch_threads": torch.get_num_threads(),
        "native_bf16": cpu_has_native_bf16(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "open_interpreter": __version__,
        "load_average": round(os.getloadavg()[0], 2),
        "busy_cores": busy_cores(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores other work keeps busy now, sampled from /proc/stat over ``seconds``.

    Unlike the load average (a minute's decaying mean), it does not count the benchmark
    that ran just before this one in ``make bench``. None where /proc/stat is missing.
    """

    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="utf-8") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    first = sample()
    time.sleep(seconds)
    second = sample()
    if first is None or second is None or second[0] == first[0]:
        return None
    total, idle = second[0] - first[0], second[1] - first[1]
    cores = os.cpu_count() or 1
    return round(cores * (total - idle) / total, 2)


def warn_if_busy(info: dict[str, Any]) -> None:
    """Say so when other work is running: the ratios still compare, the absolutes drift."""
    busy = info.get("busy_cores")
    if busy is not None and busy > 0.25 * info["cores"]:
        print(
            f"WARNING: {busy} of {info['cores']} cores busy with other work at the start: "
            "these timings are distorted.",
            file=sys.stderr,
        )


def _cpuinfo_field(name: str) -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return None


def _meminfo_kb(name: str) -> int:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith(f"{name}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- figures, targets and results ----------------------------------------------------------


def median(values: list[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def alternating(names: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """``(round, name)`` in the order A B C, C B A, A B C...: linear drift hits all alike."""
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            yield index, name


@dataclass
class Target:
    """One goal the benchmark checks, with the raw figures behind it."""

    what: str
    ours: str
    reference: str
    comparison: str
    goal: str
    met: bool


def ratio_target(
    what: str,
    ours: float,
    reference: float,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    below: float | None = None,
    fmt: Callable[[float], str] = "{:.1f}".format,
) -> Target:
    """A goal on ``ours / reference``: at least, at most or strictly below a factor."""
    ratio = ours / reference if reference else float("inf")
    checks = [
        (bound, sign, holds)
        for bound, sign, holds in (
            (at_least, "≥", operator.ge),
            (at_most, "≤", operator.le),
            (below, "<", operator.lt),
        )
        if bound is not None
    ]
    goal = " and ".join(f"{sign} {bound:g}×" for bound, sign, _ in checks)
    met = all(holds(ratio, bound) for bound, _, holds in checks)
    return Target(what, fmt(ours), fmt(reference), f"{ratio:.2f}×", goal, met)


def difference_target(
    what: str, ours: float, reference: float, *, at_least: float, scale: float = 100.0
) -> Target:
    """A goal on ``ours - reference`` in points (``scale`` 100: F1 0.912 is 91.2 points)."""
    difference = (ours - reference) * scale
    return Target(
        what,
        f"{ours * scale:.1f}",
        f"{reference * scale:.1f}",
        f"{difference:+.1f} pts",
        f"≥ {at_least:+.1f} pts",
        difference >= at_least,
    )


def limit_target(
    what: str,
    value: float,
    *,
    at_most: float | None = None,
    below: float | None = None,
    unit: str = "",
) -> Target:
    """A goal on one of our figures alone (start-up time, error count)."""
    if below is not None:
        goal, met = f"< {below:g}{unit}", value < below
    else:
        goal, met = f"≤ {at_most:g}{unit}", value <= (at_most or 0)
    return Target(what, f"{value:g}{unit}", "-", "-", goal, met)


@dataclass
class Table:
    """A titled table of already formatted cells, printed as text and rendered as Markdown."""

    title: str
    columns: list[str]
    rows: list[list[str]]

    def text(self) -> str:
        """The table aligned for a terminal."""
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([self.title, *lines])


@dataclass
class BenchmarkResult:
    """Everything one benchmark run produced; ``write`` stores it for ``report.py``."""

    benchmark: str
    title: str
    command: str
    quick: bool
    machine: dict[str, Any]
    settings: dict[str, Any]
    tables: list[Table]
    targets: list[Target]
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def print(self) -> None:
        """Print the tables, the targets and the notes."""
        print()
        if self.quick:
            print("(--quick: a smoke run on tiny sizes; these figures are not measurements)\n")
        for table in self.tables:
            print(table.text(), end="\n\n")
        print(targets_table(self.targets).text())
        for note in self.notes:
            print(f"- {note}")

    def write(self, results_dir: Path) -> Path:
        """Write ``<results_dir>/<benchmark>.json`` and return its path."""
        results_dir.mkdir(parents=True, exist_ok=True)
        path = results_dir / f"{self.benchmark}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
        return path


def targets_table(targets: list[Target]) -> Table:
    """The targets as a table: figures, ratio, goal and whether it is met."""
    return Table(
        "Targets",
        ["target", "ours", "reference", "ours / ref", "goal", "met"],
        [
            [t.what, t.ours, t.reference, t.comparison, t.goal, "yes" if t.met else "NO"]
            for t in targets
        ],
    )
