"""Files and folders written so that a crash never leaves a half-written one in sight.

Everything is written under a temporary name beside its final place and renamed into
place once complete. A temporary name says who writes it,
``.NAME.tmp-<machine>-<pid>-<random>``, so :func:`sweep` can tell the leftovers of a
killed writer (its process is gone from this machine) from the work of a live one,
without waiting for them to age. Entries another machine (or an earlier boot) left are
removed only once they are a day old.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import re
import secrets
import shutil
import socket
import sys
import time
from pathlib import Path

STALE_AFTER_S = 24 * 3600  # another machine's leftovers: surely dead after a day
_TEMPORARY = re.compile(r"^\..+\.tmp-(?P<machine>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}$")
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def temporary_sibling(path: Path) -> Path:
    """A fresh temporary name beside ``path`` that names this process as its writer.

    Example:
        >>> temporary_sibling(Path("runs/ner")).name  # doctest: +SKIP
        '.ner.tmp-3f9a1c0b-4242-7e2d4a61'
    """
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{_machine()}-{os.getpid()}-{secrets.token_hex(4)}")


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one :func:`temporary_sibling` makes."""
    return _TEMPORARY.match(name) is not None


def replace_dir(new: Path, path: Path) -> None:
    """Put the complete folder ``new`` in place of ``path``, which may exist, and remove
    what ``path`` held.

    Where the system can (Linux), the two folders swap names in one step, so ``path``
    always holds either the old content or the new; elsewhere the old folder is first
    renamed aside, leaving ``path`` missing for an instant.
    """
    new, path = Path(new), Path(path)
    if not path.exists():
        os.replace(new, path)
        return
    if _exchange(new, path):
        shutil.rmtree(new)
        return
    aside = temporary_sibling(path)
    os.replace(path, aside)
    os.replace(new, path)
    shutil.rmtree(aside)


def sweep(root: Path, *, stale_after_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporary entries under ``root`` whose writer is gone.

    A writer on this machine is gone when its process no longer runs; another machine's
    entries are removed once ``stale_after_s`` old.

    Returns:
        The entries removed.
    """
    removed = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            entry = Path(folder) / name
            if is_temporary(name) and _abandoned(entry, stale_after_s):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
        dirs[:] = [d for d in dirs if not is_temporary(d)]
    return removed


def no_space_left(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the disk, a quota or the file-size limit
    had no room: ``ENOSPC``, ``EDQUOT`` or ``EFBIG``, as an ``OSError`` or in the message
    of a library that reports the system's error as text (safetensors, torch)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in _NO_SPACE:
            return True
        if any(os.strerror(code) in str(seen) for code in _NO_SPACE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _abandoned(entry: Path, stale_after_s: float) -> bool:
    found = _TEMPORARY.match(entry.name)
    if found is None:
        return False
    if found["machine"] == _machine() and sys.platform == "linux":
        pid = int(found["pid"])
        return pid != os.getpid() and not _running(pid)
    try:
        return time.time() - entry.lstat().st_mtime > stale_after_s
    except FileNotFoundError:
        return False


@functools.cache
def _machine() -> str:
    """This machine, boot and process namespace, as 8 hex digits: a pid means one process
    only within them."""
    parts = [socket.gethostname()]
    for source in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(
                os.readlink(source) if source.endswith("pid") else Path(source).read_text()
            )
        except OSError:
            parts.append("")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:8]


def _running(pid: int) -> bool:
    """Whether process ``pid`` of this machine is alive (a zombie is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    state = stat.rsplit(")", 1)[-1].split()
    return not state or state[0] not in ("Z", "X")


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names of ``a`` and ``b`` in one step (Linux ``renameat2``); False where the
    system or the file system cannot."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))
