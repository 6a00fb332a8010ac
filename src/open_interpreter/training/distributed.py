"""Training in several processes with ``torch.distributed``: the process-group parts.

Two halves, both small:

- **Inside a training process** (started by torchrun or by :func:`launch`):
  :func:`join` opens the process group (gloo on CPU, nccl on CUDA, with a timeout so a
  dead peer is an error, never a hang); :func:`shard` gives this rank its share of each
  global batch; :func:`wrap` puts the model in DDP (FSDP: ``training/fsdp.py``);
  :func:`agree` turns one rank's "stop" into everyone's. Rank 0 alone evaluates, logs,
  checkpoints and saves (with FSDP every rank joins the forward passes and gathers).
- **Outside** (the ``fine_tune`` / ``oi train --nproc`` / job worker process):
  :func:`launch` starts N processes through torch's elastic launcher (what ``torchrun``
  runs), passes them the config and data in a folder, relays rank 0's events to
  ``on_event``, and turns a process's death into :class:`TrainingProcessError` naming its
  rank and message.

See ``docs/scale-out.md``.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import pickle
import signal
import sys
import tempfile
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch

from open_interpreter.config import DistributedSettings, FineTuneConfig
from open_interpreter.errors import ConfigError, TrainingProcessError

logger = logging.getLogger(__name__)

_SPEC, _EVENTS, _RESULT = "spec.pkl", "events.jsonl", "result.pkl"
_STOP, _ABORT = "stop", "abort"  # stop: end training and save; abort: end without saving
_RELAY_TICK_S = 0.2


# -- inside a training process --------------------------------------------------------


def active() -> bool:
    """Whether this process is one of several in an open process group."""
    dist = torch.distributed
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's global rank (0 when training alone)."""
    return torch.distributed.get_rank() if active() else 0


def world_size() -> int:
    """How many processes train together (1 when training alone)."""
    return torch.distributed.get_world_size() if active() else 1


def is_main() -> bool:
    """Whether this process evaluates, logs, checkpoints and saves (rank 0)."""
    return rank() == 0


def backend_for(settings: DistributedSettings) -> str:
    """``settings.backend``, with ``auto`` meaning nccl where CUDA is, else gloo."""
    if settings.backend != "auto":
        return settings.backend
    return "nccl" if torch.cuda.is_available() else "gloo"


def join(settings: DistributedSettings) -> bool:
    """Open the process group if torchrun (or :func:`launch`) started this process.

    Reads ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` / ``MASTER_ADDR`` from the environment.
    Every collective waits at most ``settings.timeout_s`` for the others.

    Returns:
        Whether this process now trains with others.
    """
    dist = torch.distributed
    if dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return active()
    backend = backend_for(settings)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, timeout=timedelta(seconds=settings.timeout_s))
    return active()


def leave() -> None:
    """Close the process group opened by :func:`join`, if any."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def shard(batch: list[int]) -> list[int]:
    """This rank's share of a global batch: every ``world_size``-th example from ``rank``.

    The global batch stays the configured ``batch_size`` whatever the process count.
    """
    return batch[rank() :: world_size()]


def loss_scale(labels: torch.Tensor | None, mean_tokens: float, share: float) -> float:
    """The factor on a rank's weighted loss that makes DDP's gradient average equal one
    process's gradient on the whole global batch.

    DDP averages the ranks' gradients. A per-token loss is already weighed by absolute token
    counts (:func:`~open_interpreter.data.batching.token_weight`), so it needs only
    ``world_size``; a per-example mean also needs this rank's ``share`` of the examples.
    A rank with no examples in this batch (``share`` 0) contributes nothing.
    """
    if not share:
        return 0.0
    per_token = labels is not None and labels.dim() >= 2 and bool(mean_tokens)
    return world_size() * (1.0 if per_token else share)


def wrap(model: torch.nn.Module, settings: DistributedSettings) -> torch.nn.Module:
    """The module to run forward/backward through: DDP around ``model``.

    DDP broadcasts rank 0's weights, so every rank starts from the same model whatever
    its seed. ``model`` itself stays the plain module that is checkpointed and saved.

    ``strategy: fsdp`` does not come here: the loop shards the model itself
    (:class:`~open_interpreter.training.fsdp.ShardedModel`).
    """
    if not active():
        return model
    device = next(model.parameters()).device
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def agree(stop: bool) -> bool:
    """True on every rank when any rank wants to stop (also a barrier)."""
    if not active():
        return stop
    flag = torch.tensor([1.0 if stop else 0.0], device=_collective_device())
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


def global_mean(value: float, count: float) -> float:
    """The mean over all ranks of a per-rank mean ``value`` over ``count`` items."""
    if not active():
        return value
    pair = torch.tensor([value * count, float(count)], device=_collective_device())
    torch.distributed.all_reduce(pair)
    return float(pair[0] / pair[1]) if pair[1] else value


def _collective_device() -> torch.device:
    backend = torch.distributed.get_backend()
    if backend == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


# -- outside: launching the processes -------------------------------------------------


def wanted(config: FineTuneConfig) -> bool:
    """Whether ``config`` asks for several processes and this process is not one of them."""
    settings = config.distributed
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return settings.processes * settings.nnodes > 1 and not launched and not active()


def launch(bundle: Any, data: tuple[Any, ...], on_event: Any = None) -> Any:
    """Run the fine-tuning recipe in ``config.distributed.processes`` processes.

    Each process reads the config and ``data`` (the seven ``fine_tune`` data arguments)
    from a temporary folder, loads ``bundle.model_name`` and joins the process group;
    rank 0 saves the model to ``output_dir`` (a temporary one when unset) and its
    result comes back. ``bundle`` is then loaded from the saved model.

    Returns:
        The :class:`~open_interpreter.training.result.FineTuneResult` of rank 0; None on a
        machine other than the first of a many-machine run (its rank 0 holds the result).

    Raises:
        TrainingProcessError: A training process failed: its rank and message.
    """
    from open_interpreter.bundle import ModelBundle

    config = bundle.config
    with tempfile.TemporaryDirectory(prefix="oi-distributed-") as tmp:
        folder = Path(tmp)
        output = Path(config.output_dir) if config.output_dir else folder / "model"
        config = config.updated(output_dir=str(output))
        spec = {"model": bundle.model_name, "config": config.model_dump(mode="json"), "data": data}
        (folder / _SPEC).write_bytes(pickle.dumps(spec))
        args = ["-m", "open_interpreter.training.distributed", str(folder)]
        run_processes(config.distributed, args, folder, on_event)
        if not (folder / _RESULT).is_file():
            return None
        result = pickle.loads((folder / _RESULT).read_bytes())
        saved = ModelBundle.load(output)
    for name in ("model", "tokenizer", "task", "labels", "has_head", "metrics", "data_info"):
        setattr(bundle, name, getattr(saved, name))
    return result


def run_processes(
    settings: DistributedSettings, args: list[str], folder: Path, on_event: Any = None
) -> None:
    """Start ``python ARGS`` in ``settings.processes`` processes per machine under torch's
    elastic launcher and wait for them, relaying the events rank 0 writes to ``folder``.

    When ``on_event`` returns True, a stop file asks the processes to stop at their next
    step (and save, as one process would). When it raises (e.g. a job's lease was lost),
    an abort file makes rank 0 fail at its next event, so nothing is saved, and the
    exception is raised here once the processes have ended.

    Raises:
        TrainingProcessError: A process failed, was killed, or the machines never met.
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    endpoint = settings.rdzv_endpoint or "localhost:0"
    many = settings.nnodes > 1  # every machine names the same run; one machine: a fresh id
    run_id = os.environ.get("OI_RDZV_ID", "oi-train") if many else uuid.uuid4().hex
    # node_rank set: machine 0 serves the rendezvous and holds global rank 0 (torchrun's
    # --node-rank, its static rendezvous). Unset: c10d numbers the machines as they meet,
    # served by the one whose address the endpoint names (torch falls back to a client
    # when another process on that machine serves it already).
    static = many and settings.node_rank is not None
    launch_config = LaunchConfig(
        min_nodes=settings.nnodes,
        max_nodes=settings.nnodes,
        nproc_per_node=settings.processes,
        run_id=run_id,
        rdzv_backend="static" if static else "c10d",
        rdzv_endpoint=endpoint,
        rdzv_configs={"rank": settings.node_rank} if static else {},
        rdzv_timeout=int(settings.timeout_s),
        max_restarts=0,  # a failed process fails the run: its error is reported
        monitor_interval=0.2,
        start_method="spawn",
    )
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            elastic_launch(launch_config, sys.executable)(*args)
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="oi-distributed-launch", daemon=True)
    thread.start()
    relay, halted = _Relay(folder / _EVENTS, on_event), None
    while thread.is_alive():
        thread.join(_RELAY_TICK_S)
        try:
            if relay.forward() and not (folder / _STOP).exists():
                (folder / _STOP).touch()
        except BaseException as exc:  # e.g. a job's lease lost: stop the processes first
            halted = halted or exc
            (folder / _ABORT).touch()
    if halted is not None:
        raise halted
    relay.forward()
    error = outcome.get("error")
    if isinstance(error, ChildFailedError):
        raise TrainingProcessError(_describe(error)) from None
    if error is not None:
        raise TrainingProcessError(f"the training processes could not start: {error}") from error


def _describe(error: Any) -> str:
    """One line per failed process: its rank and its error (or the signal that killed it).

    Ranks the launcher itself stopped (SIGTERM) because another one failed are named
    after the failure, as stopped, not as its cause.
    """
    failures = sorted(error.failures.items())
    stopped = [rank for rank, f in failures if f.exitcode == -signal.SIGTERM]
    causes = [(rank, f) for rank, f in failures if rank not in stopped] or failures
    lines = []
    for global_rank, failure in causes:
        if failure.exitcode < 0:
            why = f"killed by {failure.signal_name()}"
        else:
            message = failure.message
            if isinstance(message, dict):
                message = message.get("message", "")
            first = next(iter(str(message).strip().splitlines()), "")
            why = first or f"exited with code {failure.exitcode}"
        lines.append(f"training process rank {global_rank} failed: {why}")
    others = [str(rank) for rank in stopped if len(causes) < len(failures)]
    if others:
        lines.append(f"the launcher stopped rank {', '.join(others)}")
    return "; ".join(lines)


class _Relay:
    """Reads the JSON-lines events rank 0 appends and hands each to ``on_event``."""

    def __init__(self, path: Path, on_event: Any):
        self.path, self.on_event, self.offset = path, on_event, 0

    def forward(self) -> bool:
        """Pass on the complete new lines; True when ``on_event`` asked to stop."""
        if self.on_event is None or not self.path.is_file():
            return False
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        stop = False
        for line in complete.splitlines():
            stop = bool(self.on_event(json.loads(line))) or stop
        return stop


# -- the entry point of each training process -----------------------------------------


def _exit_with_parent() -> None:
    """Linux: receive SIGKILL when the launcher dies, so no rank outlives its run."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _main(folder: Path) -> None:
    """Run the recipe as one rank of :func:`launch`: rank 0 writes events and the result."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.training import recipe

    _exit_with_parent()
    spec = pickle.loads((folder / _SPEC).read_bytes())
    config = FineTuneConfig.build(spec["config"])
    if config.num_threads is None:  # share the cores: N processes × all cores would thrash
        local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    join(config.distributed)
    try:
        on_event = None
        if is_main():
            logging.basicConfig(format="%(message)s", level=logging.INFO)
            on_event = _EventWriter(folder)
        else:
            config = config.updated(progress=False, report_to=[], output_dir=None)
            if config.distributed.strategy != "fsdp":  # fsdp: every rank gathers for them
                config = config.updated(checkpoint_every=None)
        bundle = ModelBundle(model_name=spec["model"], config=config)
        result = recipe.fine_tune(bundle, *spec["data"], on_event=on_event)
        if is_main():
            tmp = folder / f"{_RESULT}.tmp"
            tmp.write_bytes(pickle.dumps(result))
            tmp.replace(folder / _RESULT)
        agree(False)  # the others wait for rank 0's scoring and saving; if it fails, they
        # are stopped by the launcher here, never left waiting
    finally:
        leave()


class _EventWriter:
    """Rank 0's ``on_event``: append the event as a JSON line; stop when asked to."""

    def __init__(self, folder: Path):
        self.events, self.stop, self.abort = folder / _EVENTS, folder / _STOP, folder / _ABORT

    def __call__(self, event: dict[str, Any]) -> bool:
        if self.abort.exists():
            raise RuntimeError("the launching process stopped the run")
        with self.events.open("a", encoding="utf-8") as f:
            f.write(json.dumps(event, default=str) + "\n")
        return self.stop.exists()


def check_launchable(config: FineTuneConfig) -> None:
    """Refuse settings that cannot run here (nccl without CUDA, fsdp with PEFT).

    Raises:
        ConfigError: The backend needs hardware this machine lacks, or the strategy
            cannot train what the config asks for (:func:`~open_interpreter.training.fsdp.check`).
    """
    from open_interpreter.training import fsdp

    fsdp.check(config)
    if backend_for(config.distributed) == "nccl" and not torch.cuda.is_available():
        raise ConfigError("distributed.backend=nccl needs CUDA GPUs; use gloo (or auto) on CPU")


if __name__ == "__main__":
    from torch.distributed.elastic.multiprocessing.errors import record

    record(_main)(Path(sys.argv[1]))
