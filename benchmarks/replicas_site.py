"""API replicas behind HAProxy: ``oi serve --workers 0`` processes on one database, and
Debian's ``haproxy`` in front of them running ``deploy/haproxy/haproxy.cfg`` with its
``bind`` and ``server`` lines written for the run's ports.

Used by ``tests/faults/test_api_replicas.py`` and ``benchmarks/bench_replicas.py``;
nothing here imports the tests. Every answer through the balancer names the replica that
gave it in ``X-Served-By`` (``api1``, ``api2``, ...), as the deployed config does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HOST = "127.0.0.1"
SERVED_BY = "x-served-by"
READY_TIMEOUT_S = 180.0


def haproxy() -> str | None:
    """Debian's ``haproxy`` (``apt-get install haproxy``; ``make setup`` installs it), or
    None where it is not installed."""
    sbin = "/usr/sbin/haproxy"  # Debian's place, off a non-root user's PATH
    return shutil.which("haproxy") or (sbin if os.access(sbin, os.X_OK) else None)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def render_config(listen_port: int, replica_ports: list[int]) -> str:
    """``deploy/haproxy/haproxy.cfg`` listening on ``listen_port``, its backend one server
    per port (``api1`` .. ``apiN``); every other line as shipped."""
    lines: list[str] = []
    servers_written = False
    for line in CONFIG.read_text().splitlines():
        setting = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if setting.startswith("bind "):
            lines.append(f"{indent}bind {HOST}:{listen_port}")
        elif setting.startswith("server "):
            if not servers_written:
                lines += [
                    f"{indent}server api{i} {HOST}:{port} check"
                    for i, port in enumerate(replica_ports, start=1)
                ]
                servers_written = True
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass
class Process:
    """A process started in a group of its own, its output going to ``log``."""

    name: str
    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, name: str, command: list[str], log: Path, env: dict[str, str]) -> Process:
        """Start ``command``."""
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return cls(name, process, log)

    def check_alive(self) -> None:
        """Raise, with the end of its output, if it exited."""
        if self.process.poll() is not None:
            output = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{output}")

    def stop(self) -> None:
        """SIGTERM its group; SIGKILL what is left after 20 s."""
        for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(wait_s)
                return


@dataclass
class Replica:
    """One ``oi serve`` of the site: ``api1`` is the balancer's first server."""

    name: str
    url: str
    server: Process


@dataclass
class Site:
    """Replicas and the balancer in front of them: send requests to ``url``."""

    url: str
    replicas: list[Replica]
    balancer: Process

    @property
    def names(self) -> list[str]:
        """The replicas' names, as ``X-Served-By`` gives them."""
        return [replica.name for replica in self.replicas]


def start_replica(name: str, database_url: str, log: Path, env: dict[str, str]) -> Replica:
    """``oi serve --workers 0`` (API keys on) on a free port of loopback."""
    port = free_port()
    command = [sys.executable, "-m", "open_interpreter.cli", "serve", "--host", HOST]
    command += ["--port", str(port), "--workers", "0", "--database-url", database_url]
    return Replica(name, f"http://{HOST}:{port}", Process.start(name, command, log, env))


def wait_until(answers: Callable[[], bool], what: str, watched: list[Process]) -> None:
    """Poll ``answers()`` until it is true; raise if a watched process exits or after
    :data:`READY_TIMEOUT_S`."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in watched:
            process.check_alive()
        with suppress(httpx.HTTPError):
            if answers():
                return
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not happen in {READY_TIMEOUT_S:.0f} s")


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200


def _every_replica_answers(site: Site) -> bool:
    """Whether consecutive requests through the balancer reach every replica, all ready."""
    seen = set()
    for _ in range(2 * len(site.replicas)):
        answer = httpx.get(f"{site.url}/health/ready", timeout=2)
        if answer.status_code != 200:
            return False
        seen.add(answer.headers.get(SERVED_BY))
    return seen == set(site.names)


@contextmanager
def replicas_behind_haproxy(
    database_url: str, count: int, logs: Path, *, env: dict[str, str] | None = None
) -> Iterator[Site]:
    """``count`` replicas on ``database_url`` and haproxy in front of them, every replica
    ready and reached through the balancer; everything stopped afterwards.

    Args:
        database_url: The database the replicas share (migrated already).
        count: How many ``oi serve`` processes.
        logs: Where each process's output goes (``api1.log`` .., ``haproxy.log``).
        env: Variables added to this process's environment for the replicas
            (``OI_HOME`` must be the same for all: the artifact folder).
    """
    with (
        started_replicas(database_url, count, logs, env=env) as replicas,
        behind_haproxy(replicas, logs) as site,
    ):
        yield site


@contextmanager
def started_replicas(
    database_url: str, count: int, logs: Path, *, env: dict[str, str] | None = None
) -> Iterator[list[Replica]]:
    """``count`` replicas on ``database_url``, each answering ``/health/ready``; stopped
    afterwards. Arguments as :func:`replicas_behind_haproxy`'s."""
    environment = {k: v for k, v in os.environ.items() if k != "OI_DATABASE_URL"}
    environment.update(env or {})
    with ExitStack() as stack:
        replicas = []
        for i in range(1, count + 1):
            replica = start_replica(f"api{i}", database_url, logs / f"api{i}.log", environment)
            stack.callback(replica.server.stop)
            replicas.append(replica)
        servers = [r.server for r in replicas]
        for replica in replicas:
            wait_until(lambda r=replica: _ready(r.url), f"{replica.name} ready", servers)
        yield replicas


@contextmanager
def behind_haproxy(replicas: list[Replica], logs: Path, name: str = "haproxy") -> Iterator[Site]:
    """haproxy in front of ``replicas`` (already started), each reached through it; stopped
    afterwards. Its config and output go to ``logs/<name>.cfg`` and ``logs/<name>.log``."""
    binary = haproxy()
    if binary is None:
        raise RuntimeError("haproxy is not installed: apt-get install haproxy")
    port = free_port()
    config = logs / f"{name}.cfg"
    config.write_text(render_config(port, [int(r.url.rsplit(":", 1)[1]) for r in replicas]))
    command = [binary, "-db", "-f", str(config)]
    balancer = Process.start(name, command, logs / f"{name}.log", dict(os.environ))
    try:
        site = Site(f"http://{HOST}:{port}", replicas, balancer)
        watched = [balancer, *(r.server for r in replicas)]
        wait_until(lambda: _every_replica_answers(site), f"every replica behind {name}", watched)
        yield site
    finally:
        balancer.stop()
