"""Artifacts on the filesystem under ``$OI_HOME/artifacts``, written atomically.

A file or directory is written under a temporary name in the same directory and then
renamed into place, so a crash never leaves a half-written artifact that looks complete.
Paths handed out are built from generated ids, never from anything a client sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path

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


def write_bytes(relative: str, data: bytes) -> Path:
    """Write ``data`` to the artifact ``relative`` atomically; returns its absolute path."""
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def copy_dir(source: Path, relative: str) -> Path:
    """Copy a directory into the artifact ``relative`` atomically; returns its absolute path."""
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    shutil.copytree(source, tmp)
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def remove(relative: str) -> None:
    """Delete an artifact (file or directory) if it exists."""
    path = resolve(relative)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
