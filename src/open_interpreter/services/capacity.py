"""What a queued job needs and what a worker has: training processes, GPUs, memory.

A job's needs come from its config (``distributed.processes``; nccl means a GPU per
process) or from an explicit ``resources`` mapping; they are stored in the job's
``needs_*`` columns. A worker advertises a :class:`Capacity` (``oi worker --processes N
--gpus K --memory-gb M``) and :func:`~open_interpreter.services.job_queue.claim_job`
takes only the jobs whose needs fit it. See ``docs/scale-out.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.storage.tables import FineTuneJob

RESOURCE_KEYS = ("processes", "gpus", "memory_gb")


@dataclass(frozen=True)
class Capacity:
    """What one worker can give a job.

    Attributes:
        processes: Training processes it may start for one job.
        gpus: CUDA GPUs it may use.
        memory_mb: Memory it may use, in MiB (0: not stated, only jobs that state none).
    """

    processes: int = 1
    gpus: int = 0
    memory_mb: int = 0

    def conditions(self) -> list[Any]:
        """SQL conditions on ``fine_tune_jobs`` that hold for the jobs this worker can run."""
        fits = [
            FineTuneJob.needs_processes <= self.processes,
            FineTuneJob.needs_gpus <= self.gpus,
        ]
        if self.memory_mb:
            fits.append(FineTuneJob.needs_memory_mb <= self.memory_mb)
        else:
            fits.append(FineTuneJob.needs_memory_mb == 0)
        return fits

    def to_dict(self) -> dict[str, int]:
        """JSON-ready, for the claim's status event."""
        return {"processes": self.processes, "gpus": self.gpus, "memory_mb": self.memory_mb}


def machine_memory_mb() -> int:
    """This machine's physical memory in MiB (0 where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return 0


def job_needs(config: FineTuneConfig | None, resources: dict[str, Any] | None) -> dict[str, int]:
    """The ``needs_*`` columns of a job: from ``resources`` where given, else its config.

    Args:
        config: The fine-tune's validated config (None for a job of another kind).
        resources: ``{"processes": N, "gpus": K, "memory_gb": M}``, any subset.

    Raises:
        ConfigError: An unknown key, a value that is not a whole number ≥ 0 (≥ 1 for
            processes), a resources/config mismatch, or a many-machine config (a queued job
            runs on one worker's machine).
    """
    resources = dict(resources or {})
    unknown = sorted(set(resources) - set(RESOURCE_KEYS))
    if unknown:
        raise ConfigError(f"resources: unknown {unknown}; use {list(RESOURCE_KEYS)}")
    for key, value in resources.items():
        low = 1 if key == "processes" else 0
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"resources.{key} must be a whole number ≥ {low}, got {value!r}")
    settings = config.distributed if config is not None else None
    if settings is not None and settings.nnodes > 1:
        raise ConfigError(
            "a queued job runs on one worker's machine: distributed.nnodes must be 1 "
            "(run many-machine training with oi train --nnodes)"
        )
    processes = settings.processes if settings is not None else 1
    if (
        "processes" in resources
        and settings is not None
        and processes not in (1, resources["processes"])
    ):
        raise ConfigError(
            f"resources.processes={resources['processes']} differs from "
            f"distributed.processes={processes}"
        )
    processes = resources.get("processes", processes)
    nccl = settings is not None and settings.backend == "nccl"
    return {
        "needs_processes": processes,
        "needs_gpus": resources.get("gpus", processes if nccl else 0),
        "needs_memory_mb": resources.get("memory_gb", 0) * 1024,
    }
