"""One fine-tune job, run in a worker's child process.

load the datasets → resume from the run's last checkpoint, if any → fine-tune with
checkpoints, recording step and evaluation events → register the saved model as the
next version of the job's model, with its lineage, and mark the job succeeded (one
transaction) → or mark it failed with a one-line reason.

The run directory ``jobs/<job_id>/run`` survives a crashed attempt: the next attempt
resumes from its newest checkpoint, or registers the saved model directly when training
had already finished. Every write is fenced by the job's
:class:`~open_interpreter.services.job_queue.Lease`; when the lease is gone (cancelled,
requeued), the run stops without touching the job.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from open_interpreter.atomic import no_space_left
from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import NotFoundError, OpenInterpreterError
from open_interpreter.services import checkpoint_mirror, job_queue, jobs, registry, studies
from open_interpreter.services.datasets import load_examples
from open_interpreter.services.job_kinds import FINE_TUNE, JobContext, LeaseLost, job_kind
from open_interpreter.services.job_progress import RunFigures
from open_interpreter.services.job_queue import Lease
from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.tables import Dataset, FineTuneJob, json_safe

logger = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_EVERY = 50
STEP_EVENT_INTERVAL_S = 0.5
_SPLITS = {
    "train": "train_dataset_id",
    "validation": "validation_dataset_id",
    "test": "test_dataset_id",
}


def run_job_process(
    database_url: str, lease: Lease, environment: dict[str, str] | None = None
) -> None:
    """Entry point of the worker's child process: run the leased job, then exit.

    ``environment`` is the worker's, taken when it started this process: a child forked
    by the fork server would otherwise see the server's, from when it started. The
    process ends itself if its worker dies, so a killed worker never leaves an orphan
    training the same job as the worker that takes it over.
    """
    if environment is not None:
        os.environ.clear()
        os.environ.update(environment)
    _exit_with_parent()
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    db = Database(database_url, migrate=False)
    try:
        run_job(db, lease)
    finally:
        db.dispose()


def run_job(db: Database, lease: Lease) -> str:
    """Run the leased job to its end, recording everything in the database.

    Args:
        db: The database.
        lease: The claim this run holds on the job.

    Returns:
        ``succeeded``, ``failed``, or ``lost`` when the lease went away during the run.
        Errors never escape: an :class:`OpenInterpreterError` fails the job with its
        message, anything else with a one-line summary (the traceback goes to a log event).
    """
    try:
        _run(db, lease)
        return "succeeded"
    except LeaseLost:
        return "lost"
    except studies.TrialPruned as pruned:
        return _pruned(db, lease, pruned)
    except OpenInterpreterError as exc:
        return _fail(db, lease, str(exc))
    except Exception as exc:
        first_line = next(iter(str(exc).strip().splitlines()), "")
        summary = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
        if no_space_left(exc):
            summary = f"no space left to save the job's files: {summary}"
        with db.session() as session:
            data = {"message": summary, "traceback": traceback.format_exc()}
            job_queue.record_event(session, lease, "log", data)
        return _fail(db, lease, summary)


def _run(db: Database, lease: Lease) -> None:
    with db.session() as session:
        if not job_queue.lease_holds(session, lease):  # e.g. cancelled before this process started
            raise LeaseLost
        job = jobs.get_job(session, lease.job_id)
        session.expunge(job)
    if job.kind == FINE_TUNE:
        _train_and_register(db, lease, job)
    else:
        _run_kind(db, lease, job)


def _run_kind(db: Database, lease: Lease, job: FineTuneJob) -> None:
    """Run a job of another kind than a fine-tune, and keep what it returned."""
    kind = job_kind(job.kind)
    run_dir = artifacts.resolve(f"jobs/{job.id}/run")
    run_dir.mkdir(parents=True, exist_ok=True)
    result = kind.run(JobContext(db=db, lease=lease, job=job, run_dir=run_dir))
    with db.session() as session:
        if not job_queue.finish_job(
            session, lease, status="succeeded", result=json_safe(result), commit=True
        ):
            raise LeaseLost


def _train_and_register(db: Database, lease: Lease, job: FineTuneJob) -> None:
    with db.session() as session:
        trial = studies.trial_of_job(session, job.id)  # (trial, study) of a study's job
        datasets = {
            split: session.get(Dataset, getattr(job, column))
            for split, column in _SPLITS.items()
            if getattr(job, column) is not None
        }
        session.expunge_all()
    missing = [split for split, row in datasets.items() if row is None]
    if missing:
        raise NotFoundError(f"the job's {', '.join(missing)} dataset was deleted")
    for folder in (f"jobs/{job.id}", f"models/{job.model_name}"):
        artifacts.sweep_leftovers(folder)  # what an earlier, killed attempt half-wrote
    run_dir = artifacts.resolve(f"jobs/{job.id}/run")
    reporter = studies.TrialReporter(trial[1], trial[0], db.url) if trial else None
    if (run_dir / registry.MANIFEST).is_file():
        _log(db, lease, "training had finished in an earlier attempt; registering its model")
    else:
        _fine_tune(db, lease, FineTuneConfig.build(job.config), datasets, run_dir, reporter)
        artifacts.publish(f"jobs/{job.id}/run")  # model and checkpoints, for other machines
        checkpoint_mirror.remove(job.id)  # the run folder, now uploaded, holds it
    if trial is None:
        _register(db, lease, job, datasets, run_dir)
        return
    # A study's trial: its model stays in the run directory until the study registers
    # its best trial (services/studies.py); the study tells Optuna its score.
    with db.session() as session:
        if not job_queue.finish_job(session, lease, status="succeeded"):
            raise LeaseLost


def _fine_tune(
    db: Database,
    lease: Lease,
    config: FineTuneConfig,
    datasets: dict[str, Dataset],
    run_dir: Path,
    reporter: studies.TrialReporter | None = None,
) -> None:
    """Fine-tune into ``run_dir`` (checkpoints, then the saved model), resuming if possible;
    a study's trial also reports each epoch's score to its study (``reporter``)."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.training.checkpoint import latest_checkpoint
    from open_interpreter.training.recipe import fine_tune

    examples = {split: load_examples(row) for split, row in datasets.items()}
    restored = checkpoint_mirror.restore(lease.job_id, run_dir)  # another machine's, if any
    checkpoint = latest_checkpoint(run_dir)
    start_step = int(checkpoint.name.split("-")[1]) if checkpoint else 0
    if checkpoint is not None:
        where = " (from the object store)" if restored is not None else ""
        _log(db, lease, f"resumed from step {start_step}{where}", resumed_from_step=start_step)
    config = config.updated(
        output_dir=str(run_dir),
        checkpoint_every=config.checkpoint_every or DEFAULT_CHECKPOINT_EVERY,
        resume_from=str(checkpoint) if checkpoint else None,
        progress=False,
    )
    recorder = EventRecorder(db, lease, start_step=start_step, metric=config.early_stopping_metric)
    mirror = checkpoint_mirror.CheckpointMirror(
        lease.job_id,
        run_dir,
        published_step=restored or 0,
        warn=lambda message: _log(db, lease, message, level="warning"),
    )

    def on_event(event: dict[str, Any]) -> None:
        recorder(event)
        mirror(event)  # the newest checkpoint to the object store, if one is set
        if reporter is not None:
            reporter(event)  # raises TrialPruned when the study stops the trial

    fine_tune(
        ModelBundle(model_name=config.model, config=config),
        examples["train"],
        validation_data=examples.get("validation"),
        test_data=examples.get("test"),
        on_event=on_event,
        score_before_after=reporter is None,  # a trial needs each epoch's score alone
    )
    # No last upload here: the run folder, uploaded next, holds every checkpoint.


def _register(
    db: Database, lease: Lease, job: FineTuneJob, datasets: dict[str, Dataset], run_dir: Path
) -> None:
    """Register the saved model and mark the job succeeded, in one transaction."""
    for attempt in range(1, registry.RETRIES + 1):
        with db.session() as session:
            try:
                if not job_queue.lease_holds(session, lease):
                    raise LeaseLost
                version = registry.register_job_run(
                    session,
                    model_name=job.model_name,
                    run_dir=run_dir,
                    job_id=job.id,
                    config=job.config,
                    datasets=registry.dataset_lineage(datasets),
                    attempts=lease.attempt,
                )
                if not job_queue.finish_job(
                    session, lease, status="succeeded", model_version_id=version.id, commit=False
                ):
                    # Still ours to remove: the row holding its number is not committed.
                    artifacts.remove(version.path)
                    raise LeaseLost
                session.commit()
                return
            except (IntegrityError, OperationalError):
                session.rollback()  # another job took the same version number: try again
                if attempt == registry.RETRIES:
                    raise
            except BaseException:
                session.rollback()
                raise


class EventRecorder:
    """The ``on_event`` callback of a job's fine-tune: events and progress into the database.

    Step events are recorded at most every ``interval_s`` seconds (and always the last
    step), with the process's resource use; evaluations always. The progress also holds
    the best validation ``metric`` so far (see :class:`RunFigures`).

    Raises:
        LeaseLost: From the callback, when the job is no longer running under ``lease``;
            it stops the training loop.
    """

    def __init__(
        self,
        db: Database,
        lease: Lease,
        *,
        start_step: int = 0,
        interval_s: float = STEP_EVENT_INTERVAL_S,
        metric: str | None = None,
    ):
        self.db, self.lease, self.interval_s = db, lease, interval_s
        self._figures = RunFigures(metric)
        self._last_write = -math.inf
        self._first: tuple[float, int] | None = None
        self._start_step = start_step
        self._progress: dict[str, Any] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        """Record ``event`` if it is due."""
        now = time.monotonic()
        self._figures.observe(event)
        if event.get("type") == "step":
            self._progress = self._step_progress(event, now)
            last = event["step"] >= event.get("total_steps", math.inf)
            if now - self._last_write < self.interval_s and not last:
                return
            keys = ("step", "total_steps", "epoch", "loss", "learning_rate", "samples_per_second")
            data = {k: event[k] for k in keys if k in event}
            data["resources"] = self._figures.measure()
            # Only steps reset the step clock: with short epochs, evaluations would
            # otherwise keep every step event out and starve the live loss curve.
            self._last_write = now
        else:
            data = {k: v for k, v in event.items() if k != "type"}
        with self.db.session() as session:
            progress = {**self._progress, **self._figures.progress()} if self._progress else None
            progress = json_safe(progress)
            if not job_queue.record_event(
                session, self.lease, event.get("type", "log"), json_safe(data), progress=progress
            ):
                raise LeaseLost

    def _step_progress(self, event: dict[str, Any], now: float) -> dict[str, Any]:
        step, total = event["step"], event.get("total_steps")
        if self._first is None:
            self._first = (now, step - 1)
        started, first_step = self._first
        rate = (step - first_step) / (now - started) if now > started else 0.0
        eta = (total - step) / rate if total and rate > 0 else None
        return {
            "step": step,
            "total_steps": total,
            "loss": event.get("loss"),
            "epoch": event.get("epoch"),
            "samples_per_second": event.get("samples_per_second"),
            "eta_seconds": round(eta, 1) if eta is not None else None,
            "resumed_from_step": self._start_step or None,
        }


def _pruned(db: Database, lease: Lease, pruned: studies.TrialPruned) -> str:
    """End a study's trial its pruner stopped: the job is cancelled, the trial marked."""
    with db.session() as session:
        if job_queue.finish_job(
            session, lease, status="cancelled", error=str(pruned), commit=False
        ):
            studies.mark_pruned(session, lease.job_id, pruned)
        session.commit()
    return "pruned"


def _fail(db: Database, lease: Lease, error: str) -> str:
    with db.session() as session:
        job_queue.finish_job(session, lease, status="failed", error=error or "unknown error")
    return "failed"


def _log(db: Database, lease: Lease, message: str, **extra: Any) -> None:
    with db.session() as session:
        if not job_queue.record_event(session, lease, "log", {"message": message, **extra}):
            raise LeaseLost


def _exit_with_parent() -> None:
    """End this process as soon as the process that started it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(70)

    threading.Thread(target=watch, name="oi-watch-parent", daemon=True).start()
