"""Resumable checkpoints: weights (safetensors), optimizer, schedule and loop position."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from open_interpreter.errors import ConfigError

_STATE = "trainer_state.json"


def save_checkpoint(
    directory: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    state: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically: into a temporary folder, then renamed into place.

    Args:
        directory: The checkpoint folder to create (e.g. ``.../checkpoints/step-200``).
        model: The model being trained.
        optimizer: Its optimizer.
        schedule: Its learning-rate schedule.
        state: JSON-ready loop position (step, epoch, batch, history...).

    Returns:
        ``directory``.
    """
    from safetensors.torch import save_model

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(model, str(tmp / "model.safetensors"))
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "rng": torch.get_rng_state(),
        },
        tmp / "optimizer.pt",
    )
    (tmp / _STATE).write_text(json.dumps(state), encoding="utf-8")
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)
    return directory


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint under ``run_dir/checkpoints``, if any."""
    root = Path(run_dir) / "checkpoints"
    done = [p for p in root.glob("step-*") if (p / _STATE).is_file()] if root.is_dir() else []
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def load_checkpoint(
    directory: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
) -> dict[str, Any]:
    """Restore a checkpoint written by :func:`save_checkpoint` and return its loop state.

    Raises:
        ConfigError: ``directory`` is not a complete checkpoint.
    """
    from safetensors.torch import load_model

    directory = Path(directory)
    if not (directory / _STATE).is_file():
        raise ConfigError(f"resume_from: {directory} is not a checkpoint (no {_STATE})")
    load_model(model, str(directory / "model.safetensors"))
    saved = torch.load(directory / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"])
    return json.loads((directory / _STATE).read_text(encoding="utf-8"))
