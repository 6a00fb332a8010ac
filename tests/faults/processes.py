"""What the fault tests share: ``oi`` (with a fault, see ``faulty_oi.py``) in a process
group of its own, killed like a machine that dies; waiting; what a crash may leave."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from benchmarks.chaos_site import group_alive

from open_interpreter.storage import artifacts

from ..fixtures.waiting import wait_for

FAULTY_OI = Path(__file__).with_name("faulty_oi.py")


@dataclass
class Oi:
    """``oi`` running in a process group of its own; its output goes to ``log`` (a pipe
    nobody reads could fill and block it)."""

    process: subprocess.Popen
    log: Path

    @classmethod
    def start(
        cls,
        *oi_args: str,
        log: Path,
        stall: str | None = None,
        barrier: Path | None = None,
        max_file_bytes: int | None = None,
    ) -> Oi:
        """``oi OI_ARGS`` through ``faulty_oi.py``, with the fault asked for."""
        fault: list[str] = []
        if stall is not None:
            fault += ["--stall", stall, "--barrier", str(barrier)]
        if max_file_bytes is not None:
            fault += ["--max-file-bytes", str(max_file_bytes)]
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, str(FAULTY_OI), *fault, "--", *oi_args],
                env=dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(process, log)

    def output(self) -> str:
        """The end of what it printed."""
        return self.log.read_text(errors="replace")[-3000:]

    def check_alive(self) -> None:
        """Fail the test, with its output, if it exited."""
        if self.process.poll() is not None:
            raise AssertionError(f"oi exited with {self.process.returncode}:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL it and every process it started (a worker and its job's process), as a
        machine that loses power or a container killed for its memory would be."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        wait_for(lambda: not group_alive(self.process.pid), 10, "the process group to end")

    def __enter__(self) -> Oi:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process.returncode is None:
            self.kill()


def wait_for_barrier(barrier: Path, oi: Oi, timeout: float = 120) -> int:
    """The pid that stalled at ``barrier`` (see ``faulty_oi.py``), once one has."""

    def reached() -> int | None:
        oi.check_alive()
        return int(barrier.read_text()) if barrier.is_file() else None

    return wait_for(reached, timeout, f"the stall at {barrier.name}")


def leftovers() -> list[Path]:
    """Every hidden entry under the artifacts: what is being written, or what a crash left
    half-written under a temporary name (nothing else there is hidden)."""
    return sorted(p for p in artifacts.artifacts_dir().rglob(".*"))


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, port: int, *, log: Path, **fault: Any) -> Oi:
    """``oi serve`` (API keys on, no embedded workers), answering ``/health`` when returned."""
    server = Oi.start(
        "serve",
        "--database-url",
        database_url,
        "--port",
        str(port),
        "--workers",
        "0",
        log=log,
        **fault,
    )

    def ready() -> bool:
        server.check_alive()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, 120, "the server to answer")
    except BaseException:
        server.kill()
        raise
    return server
