"""Artifacts on the filesystem under ``$OI_HOME/artifacts``, written atomically.

A file or directory is written under a temporary name in the same directory and then
renamed into place, so a crash never leaves a half-written artifact that looks complete;
the temporary name says which process writes it, and :func:`sweep_leftovers` (run when
the server starts and when a job starts) removes those of processes that died.
Paths handed out are built from generated ids, never from anything a client sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path

from open_interpreter.atomic import sweep, temporary_sibling
from open_interpreter.paths import oi_home


def artifacts_dir() -> Path:
    """The artifact root (``$OI_ARTIFACTS`` or ``$OI_HOME/artifacts``), created if missing."""
    root = Path(os.environ.get("OI_ARTIFACTS", oi_home() / "artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def new_id(prefix: str) -> str:
    """A short random id such as ``ds_3f9a1c0b7e2d4a61``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def resolve(relative: str) -> Path:
    """The absolute path of an artifact stored as ``relative`` to the artifact root."""
    return artifacts_dir() / relative


def write_temporary(relative: str, data: bytes) -> Path:
    """Write ``data`` (flushed to disk) under a temporary name beside the artifact
    ``relative``, to be checked and then renamed into place with :func:`place`.

    Returns:
        The temporary file.
    """
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def place(written: Path, relative: str) -> Path:
    """Rename a file from :func:`write_temporary` to the artifact ``relative``; returns its
    absolute path."""
    path = resolve(relative)
    os.replace(written, path)
    return path


def copy_to_temporary(source: Path, relative: str) -> Path:
    """Copy a directory under a temporary name beside the artifact ``relative``, to be
    renamed into place once it is recorded.

    Returns:
        The temporary copy.
    """
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        shutil.copytree(source, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def remove(relative: str) -> None:
    """Delete an artifact (file or directory) if it exists."""
    path = resolve(relative)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def sweep_leftovers(relative: str = "") -> list[Path]:
    """Remove what killed writers left under the artifact folder ``relative`` (default:
    all of them): temporary files and folders whose process is gone.

    Returns:
        The entries removed.
    """
    return sweep(resolve(relative))


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
