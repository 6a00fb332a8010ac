"""Artifacts mirrored on object storage (S3 and anything else ``fsspec`` reaches).

Where ``OI_ARTIFACTS_URL`` is set (e.g. ``s3://bucket/prefix``), the artifact folder is a
cache of that store: :mod:`open_interpreter.storage.artifacts` uploads what it places and
downloads what a machine asks for and lacks. Object stores have no rename, so an artifact
``R`` (a file or a folder) is kept as

- ``R/.oi-data-<generation>/...``: its bytes, uploaded first, under a fresh generation;
- ``R/.oi-artifact.json``: its manifest (kind, generation, every file and its size),
  written LAST in one request.

A reader treats ``R`` as present only once its manifest is there, and reads the files the
manifest names: an upload cut short before its manifest is absent, and a replacement
(a new generation, then the new manifest, then the old generation deleted) is seen whole,
old or new, never mixed. A folder artifact may hold other artifacts below it (a version's
exports); fetching the folder brings those too.

Settings: ``OI_ARTIFACTS_URL`` (any ``fsspec`` URL), ``OI_S3_ENDPOINT_URL`` (an
S3-compatible server other than AWS: MinIO, Ceph, moto) and ``OI_ARTIFACTS_STORAGE_OPTIONS``
(a JSON object of ``fsspec`` options). Credentials come the usual way for the protocol
(for S3, botocore's: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, a role).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from open_interpreter.atomic import STALE_AFTER_S, is_temporary, temporary_sibling
from open_interpreter.errors import ArtifactStoreError, ConfigError

logger = logging.getLogger(__name__)

MANIFEST = ".oi-artifact.json"
"""The name of an artifact's manifest, written after its bytes."""

DATA_PREFIX = ".oi-data-"
"""Folders holding one generation of an artifact's bytes start with this."""

URL_SETTING = "OI_ARTIFACTS_URL"
_ENDPOINT_SETTING = "OI_S3_ENDPOINT_URL"
_OPTIONS_SETTING = "OI_ARTIFACTS_STORAGE_OPTIONS"
SETTINGS = (URL_SETTING, _ENDPOINT_SETTING, _OPTIONS_SETTING)
"""The environment variables that name the store."""
_CONNECT_TIMEOUT_S = 10
_ATTEMPTS = 3
_T = TypeVar("_T")


@dataclass(frozen=True)
class Manifest:
    """What a complete artifact holds.

    Attributes:
        kind: ``file`` or ``dir``.
        generation: Which upload its bytes belong to.
        files: Each file's path (relative to the artifact; a file artifact's own name) and size.
    """

    kind: str
    generation: str
    files: dict[str, int]

    def to_json(self) -> bytes:
        """The manifest as stored."""
        body = {"format": 1, "kind": self.kind, "generation": self.generation}
        return json.dumps({**body, "files": self.files, "placed_at": time.time()}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a stored manifest."""
        body = json.loads(data)
        return cls(body["kind"], body["generation"], {k: int(v) for k, v in body["files"].items()})


class ObjectStore:
    """An ``fsspec`` file system and the root under which artifacts are kept.

    Args:
        url: Where artifacts live, e.g. ``s3://bucket/prefix`` or ``file:///mnt/oi``.
        endpoint_url: An S3-compatible server to use instead of AWS.
        options: More ``fsspec`` options for the protocol.

    Raises:
        ConfigError: The URL names no known protocol or no bucket, or its library
            (``s3fs`` for S3) is not installed.
    """

    def __init__(self, url: str, *, endpoint_url: str | None = None, options: dict | None = None):
        import fsspec

        protocol, _, root = url.partition("://")
        if not root.strip("/"):
            raise ConfigError(f"{URL_SETTING} must name a bucket or folder, got {url!r}")
        options = dict(options or {})
        if protocol in ("s3", "s3a"):
            options = _s3_options(endpoint_url, options)
        try:
            self.fs = fsspec.filesystem(protocol, **options)
        except (ValueError, ImportError) as exc:
            raise ConfigError(
                f"{URL_SETTING}={url!r} cannot be used: {exc} (S3 needs `pip install "
                "open-interpreter[s3]`)"
            ) from None
        self.url, self.root = url, root.rstrip("/")
        self._checked = False

    def check(self) -> None:
        """Make sure the store answers and its bucket (or folder) exists; once per store.

        Raises:
            ArtifactStoreError: It does not answer, refuses, or has no such bucket.
        """
        if self._checked:
            return
        top = self.root.split("/", 1)[0]
        try:
            self._call("opening", "the store", lambda: self.fs.info(top))
        except FileNotFoundError:
            raise ArtifactStoreError(
                f"the artifact store has no bucket or folder {top!r}: create it, or fix "
                f"{URL_SETTING}"
            ) from None
        self._checked = True

    def upload(self, local: Path, relative: str) -> None:
        """Upload the file or folder ``local`` as the artifact ``relative``, manifest last,
        then drop the generation it replaces."""
        local = Path(local)
        files = _local_files(local, Path(relative).name)
        kind = "dir" if local.is_dir() else "file"
        generation = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        data = self._key(relative, f"{DATA_PREFIX}{generation}")
        sources = [str(local / name) if kind == "dir" else str(local) for name in files]
        targets = [f"{data}/{name}" for name in files]
        old = self.manifest(relative)
        self._call("uploading", relative, lambda: self.fs.put(sources, targets) if files else None)
        manifest = Manifest(kind, generation, files)
        self._call(
            "uploading",
            relative,
            lambda: self.fs.pipe_file(self._manifest_key(relative), manifest.to_json()),
        )
        if old is not None and old.generation != generation:
            self._remove_keys(relative, [self._key(relative, f"{DATA_PREFIX}{old.generation}")])

    def manifest(self, relative: str) -> Manifest | None:
        """The manifest of the complete artifact ``relative``, or None when it is absent."""
        try:
            raw = self._call(
                "reading", relative, lambda: self.fs.cat_file(self._manifest_key(relative))
            )
        except FileNotFoundError:
            return None
        return Manifest.from_json(raw)

    def download(self, relative: str, local: Path) -> bool:
        """Download the artifact ``relative`` (and, for a folder, the artifacts below it) to
        ``local`` atomically: into a temporary sibling, then renamed into place.

        Returns:
            Whether it was there to download (False: absent or not yet complete).
        """
        local = Path(local)
        for _ in range(_ATTEMPTS):
            manifest = self.manifest(relative)
            if manifest is None:
                return False
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = temporary_sibling(local)
            try:
                self._download_into(relative, manifest, tmp)
            except FileNotFoundError:  # replaced or removed while we read: look again
                _discard(tmp)
                continue
            except BaseException:
                _discard(tmp)
                raise
            try:
                os.replace(tmp, local)
            except OSError:  # another process placed it meanwhile: theirs is as complete
                _discard(tmp)
            return True
        raise ArtifactStoreError(
            f"the artifact store kept changing {relative} while it was read; try again"
        )

    def remove(self, relative: str) -> None:
        """Delete the artifact ``relative`` and everything below it: manifests first, so a
        reader sees it absent before its bytes go."""
        prefix = self._key(relative)
        try:
            found = self._call("listing", relative, lambda: self.fs.find(prefix))
        except FileNotFoundError:
            return
        manifests = [key for key in found if key.endswith("/" + MANIFEST)]
        self._remove_keys(relative, manifests)
        self._remove_keys(relative, [k for k in found if k not in manifests])

    def sweep(self, relative: str, *, stale_after_s: float = STALE_AFTER_S) -> list[str]:
        """Delete the generations of bytes under ``relative`` that no manifest names (an
        upload cut short, a replacement that died before dropping the old bytes) once they
        are ``stale_after_s`` old (a generation's name says when it began).

        Returns:
            The data folders removed, relative to the store's root.
        """
        try:
            found = self._call("listing", relative, lambda: self.fs.find(self._key(relative)))
        except FileNotFoundError:
            return []
        generations: dict[str, set[str]] = {}
        for key in found:
            artifact, marker, rest = key.partition(f"/{DATA_PREFIX}")
            if marker:
                generations.setdefault(artifact, set()).add(rest.split("/", 1)[0])
        manifests = {k[: -len(MANIFEST) - 1] for k in found if k.endswith("/" + MANIFEST)}
        oldest = time.time_ns() - int(stale_after_s * 1e9)
        removed = []
        for artifact, held in generations.items():
            if len(held) == 1 and artifact in manifests:
                continue  # one generation and its manifest: the current one
            name = artifact[len(self.root) + 1 :]
            current = self.manifest(name)
            for generation in held:
                started = int(generation.split("-", 1)[0]) if generation[:1].isdigit() else 0
                if (current is None or generation != current.generation) and started < oldest:
                    removed.append(f"{name}/{DATA_PREFIX}{generation}")
        self._remove_keys(relative, [self._key(r) for r in removed])
        return removed

    def _download_into(self, relative: str, manifest: Manifest, tmp: Path) -> None:
        data = self._key(relative, f"{DATA_PREFIX}{manifest.generation}")
        if manifest.kind == "file":
            name = next(iter(manifest.files))
            self._get(relative, [f"{data}/{name}"], [tmp], manifest.files.values())
            return
        tmp.mkdir()
        self._get_files(relative, data, manifest, tmp)
        for nested, nested_manifest in self._nested(relative):
            target = tmp / nested
            nested_data = self._key(
                f"{relative}/{nested}", f"{DATA_PREFIX}{nested_manifest.generation}"
            )
            if nested_manifest.kind == "file":
                name = next(iter(nested_manifest.files))
                target.parent.mkdir(parents=True, exist_ok=True)
                self._get(
                    relative, [f"{nested_data}/{name}"], [target], nested_manifest.files.values()
                )
            else:
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                self._get_files(relative, nested_data, nested_manifest, target)

    def _get_files(self, relative: str, data: str, manifest: Manifest, into: Path) -> None:
        names = list(manifest.files)
        for name in names:
            (into / name).parent.mkdir(parents=True, exist_ok=True)
        sizes = [manifest.files[n] for n in names]
        self._get(relative, [f"{data}/{n}" for n in names], [into / n for n in names], sizes)

    def _get(self, relative: str, keys: list[str], paths: list[Path], sizes: Any) -> None:
        if keys:
            self._call("downloading", relative, lambda: self.fs.get(keys, [str(p) for p in paths]))
        for path, size in zip(paths, sizes, strict=True):
            if not path.is_file() or path.stat().st_size != size:
                raise FileNotFoundError(path.name)  # changed under us: read again

    def _nested(self, relative: str) -> list[tuple[str, Manifest]]:
        """The complete artifacts below the folder artifact ``relative``, shallowest first."""
        prefix = self._key(relative)
        found = self._call("listing", relative, lambda: self.fs.find(prefix))
        nested = []
        for key in sorted(found, key=lambda k: k.count("/")):
            inner = key[len(prefix) + 1 :]
            if not inner.endswith("/" + MANIFEST) or any(
                part.startswith(DATA_PREFIX) for part in inner.split("/")
            ):
                continue
            name = inner[: -len(MANIFEST) - 1]
            manifest = self.manifest(f"{relative}/{name}")
            if manifest is not None:
                nested.append((name, manifest))
        return nested

    def _remove_keys(self, relative: str, keys: list[str]) -> None:
        if keys:
            with contextlib.suppress(FileNotFoundError):
                self._call("deleting", relative, lambda: self.fs.rm(keys, recursive=True))

    def _key(self, relative: str, *more: str) -> str:
        return "/".join([self.root, relative.strip("/"), *more])

    def _manifest_key(self, relative: str) -> str:
        return self._key(relative, MANIFEST)

    def _call(self, doing: str, relative: str, action: Callable[[], _T]) -> _T:
        """Run ``action``; a store that cannot be reached or refuses becomes one clear error
        (the full reason goes to the log, not to a client)."""
        try:
            return action()
        except FileNotFoundError:
            raise
        except (ConfigError, ArtifactStoreError):
            raise
        except Exception as exc:  # botocore, aiohttp, OSError: the store's many ways to fail
            logger.warning("artifact store %s: %s %s failed: %r", self.url, doing, relative, exc)
            raise ArtifactStoreError(
                f"the artifact store failed while {doing} {relative} ({_reason(exc)}); "
                f"check {URL_SETTING}, {_ENDPOINT_SETTING} and the store's credentials"
            ) from None


def from_environment() -> ObjectStore | None:
    """The store ``OI_ARTIFACTS_URL`` names (None when unset: artifacts stay local).

    Raises:
        ConfigError: A setting is malformed.
    """
    url = os.environ.get(URL_SETTING, "").strip()
    if not url:
        return None
    options: dict = {}
    raw = os.environ.get(_OPTIONS_SETTING, "").strip()
    if raw:
        try:
            options = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{_OPTIONS_SETTING} is not JSON: {exc}") from None
        if not isinstance(options, dict):
            raise ConfigError(f"{_OPTIONS_SETTING} must be a JSON object, got {raw!r}")
    if "://" not in url:
        raise ConfigError(f"{URL_SETTING} must be a URL such as s3://bucket/prefix, got {url!r}")
    endpoint = os.environ.get(_ENDPOINT_SETTING, "").strip() or None
    return ObjectStore(url, endpoint_url=endpoint, options=options)


def _s3_options(endpoint_url: str | None, options: dict) -> dict:
    """s3fs options: the endpoint, bounded connection waits and retries, and no listing
    cache (another machine's uploads must be seen at once)."""
    client = dict(options.pop("client_kwargs", {}) or {})
    if endpoint_url:
        client.setdefault("endpoint_url", endpoint_url)
    config = {
        "connect_timeout": _CONNECT_TIMEOUT_S,
        "retries": {"max_attempts": 2, "mode": "standard"},
        **(options.pop("config_kwargs", {}) or {}),
    }
    return {
        "client_kwargs": client,
        "config_kwargs": config,
        "use_listings_cache": False,
        **options,
    }


def _local_files(local: Path, name: str) -> dict[str, int]:
    """Every file of the folder ``local`` and its size, leaving out the temporary entries
    of writers still at work; for a file, itself under the artifact's ``name``."""
    if local.is_file():
        return {name: local.stat().st_size}
    if not local.is_dir():
        raise FileNotFoundError(f"{local} does not exist")
    files = {}
    for folder, dirs, names in os.walk(local):
        dirs[:] = [d for d in dirs if not is_temporary(d)]
        for name in names:
            if not is_temporary(name):
                path = Path(folder) / name
                files[path.relative_to(local).as_posix()] = path.stat().st_size
    return files


def _discard(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    """A short reason without URLs or keys: the error's code or class."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
