"""A Hugging Face cache laid out by hand, as ``huggingface_hub`` leaves a downloaded snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

from open_interpreter.models import resolve as resolve_module


def fake_cache_snapshot(source: Path, repo_id: str, *, sha: str = "a" * 40) -> Path:
    """Lay ``source``'s files out the way ``huggingface_hub`` caches a snapshot."""
    repo = resolve_module.hub_cache_dir() / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / sha
    shutil.copytree(source, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    return snapshot
