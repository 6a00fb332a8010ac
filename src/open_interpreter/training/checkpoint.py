"""Resumable checkpoints: weights (safetensors), optimizer, schedule, loop position, and the
best weights kept for ``restore_best`` with the early-stopping state."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from open_interpreter.atomic import temporary_sibling
from open_interpreter.errors import ConfigError

_STATE = "trainer_state.json"
_MODEL = "model.safetensors"
_BEST = "best_model.safetensors"
_BEST_KEY = "best_weights"

StateDict = dict[str, torch.Tensor]


def save_checkpoint(
    directory: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    state: dict[str, Any],
    best_state: StateDict | None = None,
) -> Path:
    """Write a checkpoint atomically: into a temporary folder, then renamed into place.

    Args:
        directory: The checkpoint folder to create (e.g. ``.../checkpoints/step-200``).
        model: The model being trained.
        optimizer: Its optimizer.
        schedule: Its learning-rate schedule.
        state: JSON-ready loop position (step, epoch, batch, history, early stopping...).
        best_state: The best weights kept in memory for ``restore_best``, if any. They are
            written (``best_model.safetensors``) only when they differ from the model's
            current weights; the state records which, for :func:`load_best_state`.

    Returns:
        ``directory``.
    """
    return write_checkpoint(
        directory,
        model=model,
        optimizer_state=optimizer.state_dict(),
        schedule_state=schedule.state_dict(),
        state=state,
        best_state=best_state,
    )


def write_checkpoint(
    directory: Path,
    *,
    model: torch.nn.Module,
    optimizer_state: dict[str, Any],
    schedule_state: dict[str, Any],
    state: dict[str, Any],
    best_state: StateDict | None = None,
) -> Path:
    """:func:`save_checkpoint` with the optimizer's and schedule's state dicts given, e.g.
    gathered from the ranks of a sharded model (``training/fsdp.py``) in one process's
    format; ``model`` holds the full weights."""
    from safetensors.torch import save_file, save_model

    directory = Path(directory)
    tmp = temporary_sibling(directory)  # never mistaken for a checkpoint, swept if abandoned
    tmp.mkdir(parents=True)
    save_model(model, str(tmp / _MODEL))
    best = None
    if best_state is not None:
        best = _MODEL if _same_weights(best_state, model.state_dict()) else _BEST
        if best == _BEST:
            save_file({k: v.contiguous() for k, v in best_state.items()}, str(tmp / _BEST))
    torch.save(
        {
            "optimizer": optimizer_state,
            "schedule": schedule_state,
            "rng": torch.get_rng_state(),
        },
        tmp / "optimizer.pt",
    )
    (tmp / _STATE).write_text(json.dumps({**state, _BEST_KEY: best}), encoding="utf-8")
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
    load_model(model, str(directory / _MODEL))
    saved = torch.load(directory / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["rng"])
    return json.loads((directory / _STATE).read_text(encoding="utf-8"))


def read_checkpoint(directory: Path) -> tuple[StateDict, dict[str, Any], dict[str, Any]]:
    """A checkpoint's full weights, its optimizer file (optimizer, schedule, rng) and its
    loop state, without a model to load them into (a sharded model loads them itself).

    Raises:
        ConfigError: ``directory`` is not a complete checkpoint.
    """
    from safetensors.torch import load_file

    directory = Path(directory)
    if not (directory / _STATE).is_file():
        raise ConfigError(f"resume_from: {directory} is not a checkpoint (no {_STATE})")
    weights = load_file(str(directory / _MODEL))
    saved = torch.load(directory / "optimizer.pt", weights_only=True)
    return weights, saved, json.loads((directory / _STATE).read_text(encoding="utf-8"))


def kept_best(directory: Path, state: dict[str, Any], weights: StateDict) -> StateDict | None:
    """The best weights a checkpoint read by :func:`read_checkpoint` kept: None, its
    ``weights`` themselves (the same object) when they were the best, or the full best
    weights read from their file."""
    from safetensors.torch import load_file

    kept = state.get(_BEST_KEY)
    if kept is None:
        return None
    if kept == _MODEL:
        return weights
    return load_file(str(Path(directory) / _BEST))


def load_best_state(directory: Path, model: torch.nn.Module) -> StateDict | None:
    """The best weights a checkpoint kept, or None when it kept none.

    Call it after :func:`load_checkpoint` has put the checkpoint's weights in ``model``:
    when the best weights were the current ones, they are copied from ``model``.

    Example:
        >>> state = load_checkpoint(path, model=model, optimizer=opt, schedule=sched)
        ... # doctest: +SKIP
        >>> best = load_best_state(path, model)  # doctest: +SKIP
    """
    from safetensors.torch import load_file

    directory = Path(directory)
    kept = json.loads((directory / _STATE).read_text(encoding="utf-8")).get(_BEST_KEY)
    if kept is None:
        return None
    if kept == _MODEL:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    device = next(model.parameters()).device
    return load_file(str(directory / _BEST), device=str(device))


def _same_weights(best_state: StateDict, current: StateDict) -> bool:
    return best_state.keys() == current.keys() and all(
        torch.equal(value, current[name]) for name, value in best_state.items()
    )
