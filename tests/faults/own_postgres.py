"""A PostgreSQL server of the test's own, in a temporary folder, that a test may stop and
start without disturbing the shared one (``OI_TEST_DATABASE_URL``). The binaries are found
as ``scripts/postgres.sh`` finds them (Debian's ``/usr/lib/postgresql/<version>/bin``).
PostgreSQL refuses to run as root; as root, the server runs as the ``postgres`` user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed), or None."""
    versions = Path("/usr/lib/postgresql")
    if versions.is_dir():
        found = sorted(
            (p for p in versions.iterdir() if (p / "bin" / "pg_ctl").is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if found:
            return found[-1] / "bin"
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class OwnPostgres:
    """A fresh cluster listening on ``127.0.0.1:port``, trusting local connections as ``oi``.

    Args:
        bin_dir: Where ``initdb`` and ``pg_ctl`` are (see :func:`binaries`).
        port: The TCP port to listen on.
    """

    def __init__(self, bin_dir: Path, port: int):
        self.bin_dir, self.port = bin_dir, port
        self.root = Path(tempfile.mkdtemp(prefix="oi-faults-postgres-"))
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.data = self.root / "data"
        self.url = f"postgresql+psycopg://oi@127.0.0.1:{port}/postgres"
        self._run("initdb", "-D", str(self.data), "-U", "oi", "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server now (``fast``: open connections are ended) and wait for it."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        user = {} if self.user is None else {"user": self.user.pw_uid, "group": self.user.pw_gid}
        subprocess.run(
            [str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            cwd=self.root,
            **user,
        )
