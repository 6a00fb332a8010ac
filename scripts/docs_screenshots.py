"""Copy the dashboard's screenshots, taken by its browser tests, into docs/images.

``make screenshots`` runs the browser tests (they write ``test-output/screenshots/``) and
then this: each screenshot named below is reduced to a 256-colour PNG and written as
``docs/images/dashboard-<name>.png``. A file that stays over the size limit is an error,
so what docs/dashboard.md shows stays small enough to commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "test-output" / "screenshots"
TARGET = ROOT / "docs" / "images"
LIMIT_BYTES = 150_000
NAMES = (
    "runs",
    "launch-form",
    "run-live",
    "run-report",
    "compare",
    "evaluation",
    "models",
    "resources",
    "playground",
    "playground-chat",
    "playground-explain",
    "prompt-lab",
    "api-key",
    "runs-narrow",
)


def shrink(source: Path, target: Path) -> int:
    """Write ``source`` as a 256-colour PNG at ``target``; return its size in bytes."""
    with Image.open(source) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(target, optimize=True)
    return target.stat().st_size


def main() -> int:
    """Copy every screenshot; report each size; fail on a missing or oversized one."""
    TARGET.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in NAMES:
        source = SOURCE / f"{name}.png"
        if not source.is_file():
            problems.append(f"{source} is missing: run the browser tests first")
            continue
        size = shrink(source, TARGET / f"dashboard-{name}.png")
        print(f"docs/images/dashboard-{name}.png  {size / 1000:.0f} KB")
        if size > LIMIT_BYTES:
            problems.append(f"dashboard-{name}.png is {size} bytes, over {LIMIT_BYTES}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
