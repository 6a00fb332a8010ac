"""Unpacking uploaded model archives: bombs, floods of entries, links and escapes refused."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from open_interpreter.serving.archives import MAX_FILES, unpack_model
from open_interpreter.serving.problems import Problem

from ..fixtures.api import key, make_client, problem, tar_gz


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _refused(data: bytes, into: Path, match: str, max_bytes: int = 10**9) -> None:
    with pytest.raises(Problem, match=match) as caught:
        unpack_model(data, into, max_bytes=max_bytes)
    assert caught.value.status == 400 and caught.value.code == "invalid_archive"
    assert not any(into.iterdir()), "nothing may be written before the checks pass"


def test_a_saved_model_unpacks(tiny_ner_model_dir: Path, tmp_path: Path):
    root = unpack_model(tar_gz(tiny_ner_model_dir), tmp_path, max_bytes=10**9)
    assert (root / "oi_model.json").is_file() and root.name == tiny_ner_model_dir.name


def test_a_compression_bomb_is_refused(tmp_path: Path):
    bomb = _zip({"m/oi_model.json": b"{}", "m/weights.bin": b"\0" * 50_000_000})
    assert len(bomb) < 100_000
    _refused(bomb, tmp_path, "times its size")


def test_too_many_entries_or_bytes_are_refused(tmp_path: Path):
    flood = _zip({f"m/{i}.txt": str(i).encode() for i in range(MAX_FILES + 1)})
    _refused(flood, tmp_path, "entries")
    _refused(_zip({"m/oi_model.json": b"{" + b" " * 5000 + b"}"}), tmp_path, "unpacks to", 1000)


def test_links_and_escapes_are_refused(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("m/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    _refused(buffer.getvalue(), tmp_path, "link")
    _refused(_zip({"../evil/oi_model.json": b"{}"}), tmp_path, "escapes")


def test_the_route_answers_a_bomb_with_a_problem(client, db):
    bomb = _zip({"m/oi_model.json": b"{}", "m/weights.bin": b"\0" * 50_000_000})
    response = client.post(
        "/v1/models",
        headers=key(db, "admin"),
        data={"name": "bomb"},
        files={"archive": ("bomb.zip", bomb)},
    )
    problem(response, 400, "invalid_archive")


def _changed_copy(source: Path, into: Path, file: str, **changes) -> Path:
    import json
    import shutil

    copy = into / "changed-ner"
    shutil.copytree(source, copy)
    values = json.loads((copy / file).read_text())
    (copy / file).write_text(json.dumps({**values, **changes}))
    return copy


def test_an_upload_may_not_ask_for_remote_code_or_a_server_path(
    db, tiny_ner_model_dir: Path, tmp_path: Path
):
    remote = _changed_copy(
        tiny_ner_model_dir, tmp_path / "a", "training_config.json", trust_remote_code=True
    )
    adapter = {"method": "lora", "name": "default", "base_model": "/srv/secret-model"}
    pathlike = _changed_copy(tiny_ner_model_dir, tmp_path / "b", "oi_model.json", adapter=adapter)
    for allow in (False, True):
        with make_client(db, allow_remote_code=allow) as client:
            admin = key(db, "admin")
            answer = _upload(client, admin, remote, f"remote-{allow}")
            if allow:
                assert answer.status_code == 201, answer.text
            else:
                problem(answer, 422, "remote_code_refused")
            refused = problem(
                _upload(client, admin, pathlike, f"path-{allow}"), 422, "invalid_archive"
            )
            assert "is a path" in refused["detail"]
            listed = {m["name"] for m in client.get("/v1/models", headers=admin).json()["data"]}
            assert f"path-{allow}" not in listed and (f"remote-{allow}" in listed) is allow


def _upload(client, headers: dict[str, str], directory: Path, name: str):
    return client.post(
        "/v1/models",
        headers=headers,
        data={"name": name},
        files={"archive": (f"{name}.tar.gz", tar_gz(directory))},
    )
