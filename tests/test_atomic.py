"""Writing atomically: temporary names that name their writer, the sweep of a dead
writer's leftovers, a folder replaced in one step, and telling a full disk."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from open_interpreter.atomic import (
    is_temporary,
    no_space_left,
    replace_dir,
    sweep,
    temporary_sibling,
)


def test_a_temporary_name_is_hidden_beside_its_target_and_unique(tmp_path):
    first, second = temporary_sibling(tmp_path / "v1"), temporary_sibling(tmp_path / "v1")
    assert first.parent == tmp_path and first != second
    assert first.name.startswith(".v1.tmp-") and is_temporary(first.name)
    assert not is_temporary("v1") and not is_temporary(".v1.tmp")


@pytest.mark.skipif(sys.platform != "linux", reason="tells a dead writer by its pid")
def test_the_sweep_removes_what_dead_writers_left_and_keeps_live_work(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    dead_pid = int(dead.stdout)
    ours = temporary_sibling(tmp_path / "ours")
    ours.mkdir()
    left = Path(str(ours).replace(f"-{os.getpid()}-", f"-{dead_pid}-"))
    left.mkdir()
    (left / "model.safetensors").write_bytes(b"half")
    elsewhere = tmp_path / ".v2.tmp-00000000-1-0badc0de"  # another machine's, fresh
    elsewhere.write_text("in progress")
    old = tmp_path / ".v3.tmp-00000000-1-00c0ffee"  # another machine's, a day old
    old.write_text("abandoned")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    (tmp_path / "v1").mkdir()

    assert sorted(sweep(tmp_path)) == sorted([left, old])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ours.name, elsewhere.name, "v1"])


def test_replace_dir_puts_the_new_folder_in_place_and_removes_the_old(tmp_path):
    target, new = tmp_path / "run", tmp_path / ".run.new"
    target.mkdir()
    (target / "checkpoints").mkdir()
    new.mkdir()
    (new / "oi_model.json").write_text("{}")
    replace_dir(new, target)
    assert [p.name for p in target.iterdir()] == ["oi_model.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]

    fresh = tmp_path / ".fresh.new"
    fresh.mkdir()
    replace_dir(fresh, tmp_path / "fresh")
    assert (tmp_path / "fresh").is_dir() and not fresh.exists()


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
        OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)),
        RuntimeError(
            f"Error while serializing: I/O error: {os.strerror(errno.EFBIG)} (os error 27)"
        ),
    ],
)
def test_a_full_disk_is_told_however_it_is_reported(error):
    assert no_space_left(error)
    try:
        try:
            raise error
        except Exception as inner:
            raise ValueError("saving failed") from inner
    except ValueError as outer:
        assert no_space_left(outer)


def test_other_errors_are_not_a_full_disk():
    assert not no_space_left(OSError(errno.EACCES, os.strerror(errno.EACCES)))
    assert not no_space_left(ValueError("bad data"))
