"""Artifacts on the filesystem under ``$OI_HOME/artifacts``, written atomically.

A file or directory is written under a temporary name in the same directory and then
renamed into place, so a crash never leaves a half-written artifact that looks complete;
the temporary name says which process writes it, and :func:`sweep_leftovers` (run when
the server starts and when a job starts) removes those of processes that died.
Paths handed out are built from generated ids, never from anything a client sent.

Where ``OI_ARTIFACTS_URL`` names an object store (``s3://bucket/prefix``; see
:mod:`open_interpreter.storage.object_store`), the artifact folder is this machine's cache
of it: :func:`place` and :func:`publish` upload an artifact (bytes first, its manifest
last) before or as it is named here, :func:`resolve` downloads one this machine lacks
(into a temporary sibling, then renamed), and :func:`remove` deletes it there too. Without
the setting nothing leaves this folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import threading
from pathlib import Path

from open_interpreter.atomic import sweep, temporary_sibling
from open_interpreter.errors import ArtifactStoreError, ConfigError
from open_interpreter.paths import oi_home
from open_interpreter.storage import object_store

logger = logging.getLogger(__name__)
_fetching: dict[str, threading.Lock] = {}
_stores: dict[tuple, object_store.ObjectStore] = {}


def artifacts_dir() -> Path:
    """The artifact root (``$OI_ARTIFACTS`` or ``$OI_HOME/artifacts``), created if missing."""
    root = Path(os.environ.get("OI_ARTIFACTS", oi_home() / "artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def new_id(prefix: str) -> str:
    """A short random id such as ``ds_3f9a1c0b7e2d4a61``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def resolve(relative: str) -> Path:
    """The absolute path of an artifact stored as ``relative`` to the artifact root.

    With an object store configured, an artifact this machine lacks is downloaded first
    when the store holds it complete (else the path is returned as it is, missing).

    Raises:
        ArtifactStoreError: The object store did not answer.
    """
    return fetch(_local(relative))


def fetch(path: Path | str) -> Path:
    """Make sure the artifact at ``path`` (absolute, under the artifact root, or relative
    to it) is here: download it from the object store when it is missing here and complete
    there. A copy already here is trusted as it is.

    Returns:
        Its absolute path (missing when no store holds it).

    Raises:
        ArtifactStoreError: The object store did not answer.

    Example:
        >>> fetch(export_dir)  # a version's export made on another machine  # doctest: +SKIP
    """
    path = _local(path) if isinstance(path, str) else Path(path)
    if path.exists():
        return path
    store = remote()
    relative = _relative_to_root(path) if store is not None else None
    if store is not None and relative:
        with _fetching.setdefault(str(path), threading.Lock()):  # one download per process
            if not path.exists():
                store.download(relative, path)
    return path


def publish(relative: str) -> None:
    """Upload the artifact ``relative``, already in place here (a folder a caller renamed
    into place), to the object store, replacing what it held; nothing without one.

    Raises:
        ArtifactStoreError: The object store did not answer (it then holds the old
            artifact, or none: never half of the new one).
    """
    store = remote()
    if store is not None:
        store.upload(_local(relative), relative)


def remote() -> object_store.ObjectStore | None:
    """The object store ``OI_ARTIFACTS_URL`` names (checked once per process), or None.

    Raises:
        ConfigError: A setting is malformed.
        ArtifactStoreError: The store does not answer or has no such bucket.
    """
    if not os.environ.get(object_store.URL_SETTING, "").strip():
        return None
    key = (os.getpid(), *(os.environ.get(name) for name in object_store.SETTINGS))
    store = _stores.get(key)
    if store is None:
        store = object_store.from_environment()
        assert store is not None
        store.check()
        _stores[key] = store
    return store


def write_temporary(relative: str, data: bytes) -> Path:
    """Write ``data`` (flushed to disk) under a temporary name beside the artifact
    ``relative``, to be checked and then renamed into place with :func:`place`.

    Returns:
        The temporary file.
    """
    path = _local(relative)
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
    absolute path. With an object store, it is uploaded first (if that fails, ``written``
    is deleted and the error raised: nothing is named anywhere)."""
    path = _local(relative)
    store = remote()
    if store is not None:
        try:
            store.upload(written, relative)
        except BaseException:
            Path(written).unlink(missing_ok=True)
            raise
    os.replace(written, path)
    return path


def copy_to_temporary(source: Path, relative: str) -> Path:
    """Copy a directory under a temporary name beside the artifact ``relative``, to be
    renamed into place once it is recorded.

    Returns:
        The temporary copy.
    """
    path = _local(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        shutil.copytree(source, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def remove(relative: str) -> None:
    """Delete an artifact (file or directory) if it exists, from the object store too."""
    store = remote()
    if store is not None:
        store.remove(relative)
    path = _local(relative)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def sweep_leftovers(relative: str = "") -> list[Path]:
    """Remove what killed writers left under the artifact folder ``relative`` (default:
    all of them): temporary files and folders whose process is gone; with an object store
    and a folder named, also its uploads cut short over a day ago (a failure to reach the
    store is logged, not raised: sweeping never stops a job or the server).

    Returns:
        The entries removed here.
    """
    removed = sweep(_local(relative))
    if relative:
        try:
            store = remote()
            if store is not None:
                store.sweep(relative)
        except (ArtifactStoreError, ConfigError) as exc:
            logger.warning("artifact store: could not sweep %s: %s", relative, exc)
    return removed


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _local(relative: str) -> Path:
    """Where the artifact ``relative`` is (or will be) on this machine; nothing fetched."""
    return artifacts_dir() / relative


def _relative_to_root(path: Path) -> str | None:
    """``path`` as an artifact name relative to the root; None for the root itself or a
    path outside it (no artifact of the store)."""
    try:
        relative = path.resolve().relative_to(artifacts_dir().resolve()).as_posix()
    except ValueError:
        return None
    return None if relative == "." else relative
