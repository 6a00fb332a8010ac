"""``oi`` with one fault injected, for the fault tests (never shipped).

    python tests/faults/faulty_oi.py [--stall MOMENT --barrier FILE] [--max-file-bytes N]
        -- worker|serve ...

``--stall MOMENT`` makes one write slow at a known moment: it writes the first half of
the file, then writes the process id to ``FILE`` and sleeps forever, so a test can wait
for ``FILE`` and kill the process in the middle of that write. Moments:

- ``checkpoint``: the optimizer state of the run's second checkpoint;
- ``saved-model``: ``oi_model.json`` of the model a job saves when training ends;
- ``registry-copy``: the weights as the registry copies a saved model into a version;
- ``dataset``: an uploaded dataset's file.

``--max-file-bytes N`` limits every file this process and its children write to N bytes
(``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored, so a write past it fails with ``EFBIG``): a
disk that is full for anything bigger.

A worker's jobs run in ``spawn``ed children, which import this file again as
``__mp_main__`` (with the same ``sys.argv``): the stall is installed there too.
"""

from __future__ import annotations

import argparse
import builtins
import io
import os
import resource
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

MOMENTS = ("checkpoint", "saved-model", "registry-copy", "dataset")


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The fault options and the ``oi`` arguments after ``--``."""
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(prog="faulty_oi.py")
    parser.add_argument("--stall", choices=MOMENTS)
    parser.add_argument("--barrier", type=Path)
    parser.add_argument("--max-file-bytes", type=int)
    return parser.parse_args(argv[:split]), argv[split + 1 :]


def stall(barrier: Path, write_half: Callable[[], Any]) -> NoReturn:
    """Write half, say so in ``barrier`` (atomically), and wait to be killed."""
    write_half()
    ready = barrier.with_name(barrier.name + ".part")
    ready.write_text(str(os.getpid()))
    os.replace(ready, barrier)
    while True:
        time.sleep(60)


def stall_checkpoint(barrier: Path) -> None:
    """The second checkpoint's ``optimizer.pt`` stops half-written."""
    import torch

    real_save = torch.save
    seen = []

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(f, str | Path) and Path(f).name == "optimizer.pt":
            seen.append(f)
            if len(seen) == 2:
                buffer = io.BytesIO()
                real_save(obj, buffer, *args, **kwargs)
                data = buffer.getvalue()
                stall(barrier, lambda: Path(f).write_bytes(data[: len(data) // 2]))
        real_save(obj, f, *args, **kwargs)

    torch.save = save


def stall_saved_model(barrier: Path) -> None:
    """The final model's ``oi_model.json`` stops half-written."""
    from open_interpreter.paths import MANIFEST

    real_write_text = Path.write_text

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        if self.name == MANIFEST and ".run." in self.parent.name:
            stall(barrier, lambda: real_write_text(self, data[: len(data) // 2], *args, **kwargs))
        return real_write_text(self, data, *args, **kwargs)

    Path.write_text = write_text  # type: ignore[method-assign]


def stall_registry_copy(barrier: Path) -> None:
    """The weights stop half-copied when the registry copies a model into a version."""
    real_copytree = shutil.copytree

    def copy(source: str, target: str, *, follow_symlinks: bool = True) -> str:
        if Path(source).name == "model.safetensors" and "models" in Path(target).parts:
            data = Path(source).read_bytes()
            stall(barrier, lambda: Path(target).write_bytes(data[: len(data) // 2]))
        return shutil.copy2(source, target, follow_symlinks=follow_symlinks)

    def copytree(source: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
        return real_copytree(source, target, *args, **{**kwargs, "copy_function": copy})

    shutil.copytree = copytree


def stall_dataset(barrier: Path) -> None:
    """An uploaded dataset's file stops half-written (``open`` as the artifacts see it)."""
    from open_interpreter.storage import artifacts

    class HalfWriter(io.BufferedWriter):
        def write(self, data: Any) -> int:
            stall(
                barrier,
                lambda: (super(HalfWriter, self).write(data[: len(data) // 2]), self.flush()),
            )

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and "datasets" in Path(file).parts:
            return HalfWriter(builtins.open(file, "wb", buffering=0))
        return builtins.open(file, mode, *args, **kwargs)

    artifacts.open = open_  # type: ignore[attr-defined]


def install(options: argparse.Namespace, *, in_job_process: bool) -> None:
    """Install the stall this process should have."""
    if options.stall is None:
        return
    if options.stall == "checkpoint":
        if in_job_process:  # only the job's process trains; the worker never imports torch
            stall_checkpoint(options.barrier)
        return
    installer = {
        "saved-model": stall_saved_model,
        "registry-copy": stall_registry_copy,
        "dataset": stall_dataset,
    }[options.stall]
    installer(options.barrier)


def limit_file_size(max_bytes: int) -> None:
    """Every file written from now on, here and in children, stops at ``max_bytes``."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))


if __name__ == "__main__":
    options, oi_args = parse(sys.argv[1:])
    if options.max_file_bytes is not None:
        limit_file_size(options.max_file_bytes)
    install(options, in_job_process=False)
    from open_interpreter.cli import main

    main(oi_args)
elif __name__ == "__mp_main__":
    install(parse(sys.argv[1:])[0], in_job_process=True)
