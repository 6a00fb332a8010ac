"""What the server and its jobs use: CPU, memory and, when present, GPUs, over time.

:class:`ResourceSampler` is a background thread of ``oi serve``: every ``interval_s`` it
records the machine's CPU and memory use, the server process's (with its children, where
embedded workers run their jobs) and each GPU's utilisation and memory, keeping the
newest ``capacity`` samples. ``GET /v1/resources`` serves them.

:class:`ProcessFigures` is the same measurement from inside a job's own process; the job
runner adds it to the job's progress and step events.

GPU figures come from NVML (the ``nvidia-ml-py`` package) when it is installed, else from
``nvidia-smi`` when it is on the ``PATH``; with neither, there are none.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any

import psutil

logger = logging.getLogger(__name__)

SAMPLE_INTERVAL_S = 2.0
CAPACITY = 1800  # one hour at the default interval
_SMI_QUERY = "index,name,utilization.gpu,memory.used,memory.total"
_MIB = 1024 * 1024


class ResourceSampler:
    """A bounded time series of the machine's and the server's resource use.

    Args:
        interval_s: Seconds between samples.
        capacity: Samples kept; older ones are dropped.

    Example:
        >>> sampler = ResourceSampler(interval_s=2.0)
        >>> sampler.start()  # doctest: +SKIP
        >>> sampler.samples()[-1]["cpu_percent"]  # doctest: +SKIP
        12.5
    """

    def __init__(self, *, interval_s: float = SAMPLE_INTERVAL_S, capacity: int = CAPACITY):
        if interval_s <= 0 or capacity <= 0:
            raise ValueError(f"need a positive interval and capacity: {interval_s=}, {capacity=}")
        self.interval_s = interval_s
        self._samples: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process = ProcessFigures(children=True)
        self._gpus = GpuReader()
        psutil.cpu_percent(None)  # the first reading only starts the measurement

    def start(self) -> None:
        """Start sampling in a daemon thread (a no-op when already started)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="oi-resources", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def sample(self) -> dict[str, Any]:
        """Measure now, keep the sample, and return it."""
        memory = psutil.virtual_memory()
        sample = {
            "time": time.time(),
            "cpu_percent": psutil.cpu_percent(None),
            "cpu_count": psutil.cpu_count() or 1,
            "memory_percent": memory.percent,
            "memory_used_bytes": memory.total - memory.available,
            "memory_total_bytes": memory.total,
            "process": self._process.measure(),
            "gpus": self._gpus.read(),
        }
        with self._lock:
            self._samples.append(sample)
        return sample

    def samples(self, since: float | None = None) -> list[dict[str, Any]]:
        """The kept samples, oldest first (those taken after ``since``, a UNIX time, if given).

        Takes one sample first when none has been taken yet.
        """
        with self._lock:
            kept = list(self._samples)
        if not kept:
            kept = [self.sample()]
        return [s for s in kept if since is None or s["time"] > since]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a failed reading must not end the series
                logger.exception("resource sample failed")
            self._stop.wait(self.interval_s)


class ProcessFigures:
    """CPU and memory of this process (and optionally its children), measured repeatedly.

    CPU is the share of one core used since the previous measurement (so 200 means two
    cores busy), summed over the processes.

    Args:
        children: Include child processes (recursively), e.g. the jobs of embedded workers.
    """

    def __init__(self, *, children: bool = False):
        self.children = children
        self._root = psutil.Process()
        self._known: dict[int, psutil.Process] = {}

    def measure(self) -> dict[str, Any]:
        """``{"cpu_percent", "rss_bytes", "processes"}`` now, plus ``gpu_memory_bytes``
        when this process has used CUDA through torch."""
        processes = [self._root]
        if self.children:
            with contextlib.suppress(psutil.Error):
                processes += self._root.children(recursive=True)
        cpu, rss, alive = 0.0, 0, 0
        for process in processes:
            known = self._known.setdefault(process.pid, process)
            try:
                with known.oneshot():
                    cpu += known.cpu_percent(None)
                    rss += known.memory_info().rss
                alive += 1
            except psutil.Error:
                self._known.pop(process.pid, None)
        current = {p.pid for p in processes}
        for pid in list(self._known):
            if pid not in current:
                del self._known[pid]
        figures: dict[str, Any] = {
            "cpu_percent": round(cpu, 1),
            "rss_bytes": rss,
            "processes": alive,
        }
        gpu_bytes = _torch_gpu_memory()
        if gpu_bytes is not None:
            figures["gpu_memory_bytes"] = gpu_bytes
        return figures


class GpuReader:
    """Reads every GPU's utilisation and memory through NVML, else ``nvidia-smi``.

    Finding neither (or a failing one) is remembered, so machines without GPUs pay once.
    """

    def __init__(self) -> None:
        self._source: str | None = None
        self._nvml: Any = None

    def read(self) -> list[dict[str, Any]]:
        """One dict per GPU: ``index``, ``name``, ``utilization_percent``,
        ``memory_used_bytes``, ``memory_total_bytes``; empty without GPUs."""
        if self._source is None:
            self._source = self._pick_source()
        try:
            if self._source == "nvml":
                return self._read_nvml()
            if self._source == "nvidia-smi":
                return parse_nvidia_smi(_run_nvidia_smi())
        except Exception as exc:
            logger.info("GPU figures unavailable (%s): %s", self._source, exc)
            self._source = "none"
        return []

    def _pick_source(self) -> str:
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            return "nvml"
        except Exception:
            return "nvidia-smi" if shutil.which("nvidia-smi") else "none"

    def _read_nvml(self) -> list[dict[str, Any]]:
        nvml, gpus = self._nvml, []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name = nvml.nvmlDeviceGetName(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                {
                    "index": index,
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "utilization_percent": float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    "memory_used_bytes": int(memory.used),
                    "memory_total_bytes": int(memory.total),
                }
            )
        return gpus


def parse_nvidia_smi(output: str) -> list[dict[str, Any]]:
    """Parse ``nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total
    --format=csv,noheader,nounits`` output (memory in MiB).

    Example:
        >>> parse_nvidia_smi("0, NVIDIA H200, 35, 1024, 143771")[0]["memory_used_bytes"]
        1073741824
    """
    gpus = []
    for line in output.strip().splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 5:
            continue
        index, name, utilization, used, total = parts
        gpus.append(
            {
                "index": int(index),
                "name": name,
                "utilization_percent": _number(utilization),
                "memory_used_bytes": int(_number(used) * _MIB),
                "memory_total_bytes": int(_number(total) * _MIB),
            }
        )
    return gpus


def _run_nvidia_smi() -> str:
    command = ["nvidia-smi", f"--query-gpu={_SMI_QUERY}", "--format=csv,noheader,nounits"]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=5).stdout


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "[N/A]" on some boards
        return 0.0


def _torch_gpu_memory() -> int | None:
    """CUDA memory allocated by torch in this process, if it has used CUDA (never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if not torch.cuda.is_initialized():
            return None
        return int(sum(torch.cuda.memory_allocated(i) for i in range(torch.cuda.device_count())))
    except Exception:
        return None
