"""A fine-tune job's newest checkpoint, kept on the object store while the job trains.

With ``OI_ARTIFACTS_URL`` set, a worker killed mid-training would otherwise leave its
checkpoints on its own machine's disk only, and the job retried on another machine would
start over. So while a job trains, :class:`CheckpointMirror` uploads the run's newest
complete checkpoint as ONE artifact per job, ``jobs/<id>/checkpoint``, replaced each time
(the store writes a replacement's manifest last, so a reader sees the old checkpoint or the
new one, never a mix); :func:`restore` brings it back, as ``run/checkpoints/step-N``, on a
machine whose run folder holds no checkpoint, before the job resumes.

Without an object store nothing here lists, stats or uploads anything. With one, the run
folder is looked at no more than every :data:`CHECK_EVERY_S` seconds, and after an upload
the next look waits long enough that uploads take at most :data:`UPLOAD_SHARE` of the
training time. A failed upload is a warning: training goes on, and the next checkpoint
tries again. See ``docs/scale-out.md`` ("What is mirrored").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from open_interpreter.atomic import temporary_sibling
from open_interpreter.errors import ArtifactStoreError
from open_interpreter.storage import artifacts

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
"""The least time between two looks at the run folder for a new checkpoint."""

UPLOAD_SHARE = 0.2
"""The most of the training time uploads may take: after an upload that took ``t``
seconds, the next look waits ``t * (1 / UPLOAD_SHARE - 1)`` seconds (or
:data:`CHECK_EVERY_S`, whichever is longer)."""

_STATE = "trainer_state.json"  # a checkpoint's loop position (training/checkpoint.py)


def remote_name(job_id: str) -> str:
    """The artifact holding the newest checkpoint of job ``job_id`` on the object store."""
    return f"jobs/{job_id}/checkpoint"


def restore(job_id: str, run_dir: Path) -> int | None:
    """Bring the job's checkpoint from the object store into ``run_dir`` when the run
    folder holds no complete checkpoint of its own and the store holds one.

    It is downloaded into a temporary folder beside ``run_dir/checkpoints/step-N`` (N read
    from the checkpoint's own state), then renamed into place: a download cut short is
    never taken for a checkpoint. A store that does not answer, or a checkpoint without a
    readable step, is logged as a warning: the job then starts from the beginning.

    Returns:
        The step restored, or None (no store, a local checkpoint, none stored, a failure).
    """
    store = artifacts.remote()
    from open_interpreter.training.checkpoint import latest_checkpoint  # torch: not at import

    if store is None or latest_checkpoint(run_dir) is not None:
        return None
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(root / "downloaded")
    try:
        if not store.download(remote_name(job_id), tmp):
            return None
        step = _step_of(tmp)
        target = root / f"step-{step}"
        if target.exists():  # an incomplete one (no state): a complete one would have been used
            shutil.rmtree(target)
        os.replace(tmp, target)
        return step
    except (ArtifactStoreError, OSError, ValueError) as exc:
        logger.warning(
            "job %s: could not bring its checkpoint from the object store: %s", job_id, exc
        )
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class CheckpointMirror:
    """The ``on_event`` hook that uploads a training job's newest checkpoint.

    A checkpoint for step N is written just after step N's event, so it goes up at a
    later event (an evaluation's, or a later step's). The last ones need no upload of
    their own: the run folder, uploaded when training ends, holds every checkpoint
    (:func:`remove` then deletes this copy).

    Args:
        job_id: The job.
        run_dir: Its run folder (checkpoints under ``run_dir/checkpoints/step-N``).
        published_step: The step the store already holds (e.g. the one :func:`restore`
            brought), not uploaded again.
        warn: Also told each failure's message (e.g. to record it as a job event).
    """

    def __init__(
        self,
        job_id: str,
        run_dir: Path,
        *,
        published_step: int = 0,
        warn: Callable[[str], None] | None = None,
    ):
        self.store = artifacts.remote()  # looked up once: None costs nothing per event
        self.relative, self.run_dir = remote_name(job_id), Path(run_dir)
        self.published_step, self.warn = published_step, warn
        self._next_look = time.monotonic() + CHECK_EVERY_S

    def __call__(self, event: dict[str, Any]) -> None:
        """Upload the newest checkpoint if it is time to look and there is a new one."""
        if self.store is None or time.monotonic() < self._next_look:
            return
        self.publish_newest()

    def publish_newest(self) -> int | None:
        """Upload the newest complete checkpoint if it is newer than the one last
        uploaded; a failure is logged (and given to ``warn``), never raised.

        Returns:
            The step uploaded, or None.
        """
        if self.store is None:
            return None
        started = time.monotonic()
        from open_interpreter.training.checkpoint import latest_checkpoint

        newest = latest_checkpoint(self.run_dir)
        step = int(newest.name.split("-")[1]) if newest is not None else 0
        uploaded = None
        if newest is not None and step > self.published_step:
            try:
                self.store.upload(newest, self.relative)
            except (ArtifactStoreError, OSError) as exc:
                message = f"could not upload the checkpoint of step {step}: {exc}"
                logger.warning("%s: %s", self.relative, message)
                if self.warn is not None:
                    self.warn(message)
            else:
                self.published_step = uploaded = step
        took = time.monotonic() - started
        self._next_look = time.monotonic() + max(CHECK_EVERY_S, took * (1 / UPLOAD_SHARE - 1))
        return uploaded


def remove(job_id: str) -> None:
    """Delete the job's checkpoint from the object store (once its run folder, which holds
    every checkpoint, is uploaded); nothing without a store. A failure is logged, never
    raised: the copy left is only the bucket's space."""
    store = artifacts.remote()
    if store is None:
        return
    try:
        store.remove(remote_name(job_id))
    except ArtifactStoreError as exc:
        logger.warning(
            "job %s: could not delete its checkpoint from the object store: %s", job_id, exc
        )


def _step_of(checkpoint: Path) -> int:
    """The step a checkpoint folder was written at, from its own state.

    Raises:
        ValueError: It has no state, or its state names no step.
    """
    try:
        state = json.loads((checkpoint / _STATE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise ValueError(f"the stored checkpoint has no readable {_STATE}") from None
    step = state.get("step") if isinstance(state, dict) else None
    if not isinstance(step, int) or step < 1:
        raise ValueError(f"the stored checkpoint's {_STATE} names no step")
    return step
