"""Unpacking an uploaded model archive (zip or tar) without trusting it.

Refused with a 400 before anything is written: entries that escape the folder (absolute
paths, ``..``, links and devices), more than ``MAX_FILES`` entries, more than
``max_bytes`` unpacked, or an unpacked size more than ``MAX_RATIO`` times the archive's
(a compression bomb). Works alike on Python 3.10 to 3.12: the checks are ours, and
tar's own ``data`` filter is used on top where this Python has it.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from open_interpreter.paths import MANIFEST
from open_interpreter.serving.problems import Problem

MAX_FILES = 1_000  # a saved model holds about ten files; an adapter fewer
MAX_RATIO = 200  # safetensors weights barely compress; a bomb compresses thousands of times


def unpack_model(data: bytes, into: Path, *, max_bytes: int) -> Path:
    """Unpack the archive ``data`` into ``into``; the directory holding ``oi_model.json``.

    Raises:
        Problem: 400 ``invalid_archive`` for anything refused (see the module's docstring).
    """
    buffer = io.BytesIO(data)
    if zipfile.is_zipfile(buffer):
        with zipfile.ZipFile(buffer) as archive:
            members = archive.infolist()
            _check_sizes(len(members), sum(m.file_size for m in members), len(data), max_bytes)
            for member in members:
                _check_name(member.filename)
            archive.extractall(into)
    else:
        buffer.seek(0)
        try:
            with tarfile.open(fileobj=buffer, mode="r:*") as archive:
                members = archive.getmembers()
                _check_sizes(len(members), sum(m.size for m in members), len(data), max_bytes)
                for member in members:
                    _check_name(member.name)
                    if not (member.isfile() or member.isdir()):
                        _refuse(f"archive entry {member.name!r} is a link or a device")
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(into, filter="data")
                else:  # an older Python: the entries were checked above
                    archive.extractall(into)
        except (tarfile.TarError, OSError, EOFError) as exc:
            _refuse(f"not a zip or tar archive: {exc}")
    found = sorted(into.rglob(MANIFEST), key=lambda p: len(p.parts))
    if not found:
        _refuse(f"the archive holds no saved model ({MANIFEST})")
    return found[0].parent


def check_saved_model(root: Path, *, allow_remote_code: bool) -> None:
    """Refuse (422) what an uploaded model would make the server do when it loads: run the
    model's own code (``trust_remote_code`` in its ``training_config.json``, unless the
    server allows it), or load an adapter's base model from a path on the server."""
    import json

    from open_interpreter.bundle import TRAINING_CONFIG, read_manifest
    from open_interpreter.services.names import looks_like_a_path

    config_file = root / TRAINING_CONFIG
    try:
        config = (
            json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        )
        base = (read_manifest(root).get("adapter") or {}).get("base_model")
    except (ValueError, AttributeError) as exc:
        raise Problem(400, "invalid_archive", f"unreadable saved model: {exc}") from None
    if isinstance(config, dict) and config.get("trust_remote_code") and not allow_remote_code:
        raise Problem(
            422,
            "remote_code_refused",
            "the model's training_config.json sets trust_remote_code; this server does not "
            "run a model's own code (setting OI_ALLOW_REMOTE_CODE)",
        )
    if base is not None and (not isinstance(base, str) or looks_like_a_path(base)):
        raise Problem(
            422,
            "invalid_archive",
            f"the adapter's base_model {base!r} is a path; an uploaded adapter names its base "
            "model by a catalogue alias, a model-store name or a Hub id",
        )


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        _refuse(f"archive entry {name!r} escapes the archive")


def _check_sizes(files: int, unpacked: int, packed: int, max_bytes: int) -> None:
    if files > MAX_FILES:
        _refuse(f"the archive holds {files} entries; at most {MAX_FILES} are unpacked")
    if unpacked > max_bytes:
        _refuse(f"the archive unpacks to {unpacked} bytes; at most {max_bytes} are unpacked")
    if unpacked > MAX_RATIO * max(packed, 1):
        _refuse(
            f"the archive unpacks to {unpacked // max(packed, 1)} times its size; "
            f"at most {MAX_RATIO} times is unpacked"
        )


def _refuse(detail: str) -> None:
    raise Problem(400, "invalid_archive", detail)
