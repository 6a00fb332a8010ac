"""Kinds of queued job beyond a fine-tune: what a job of each kind checks and runs.

Every job goes through the same queue (claimed by a worker, run in its child process,
fenced by a lease, cancellable, retried after a crash; :mod:`job_queue`). A fine-tune
(``kind="fine_tune"``, the default) is run by :mod:`job_runner` itself; any other kind
names a :class:`JobKind` whose ``check`` validates the job's config before it is queued
and whose ``run`` does the work, given a :class:`JobContext`.

Kinds live with the code they run (continual learning, the recommender), so this module
names them by import path and imports one only when a job of that kind is queued or run.

Example:
    >>> kind = job_kind("recommender")  # doctest: +SKIP
    >>> config = kind.check({"model": "hybrid"})  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.errors import ConfigError

if TYPE_CHECKING:
    from open_interpreter.services.job_queue import Lease
    from open_interpreter.storage import Database
    from open_interpreter.storage.tables import FineTuneJob

FINE_TUNE = "fine_tune"
"""The default kind: a fine-tune of stored datasets, registered as a model version."""

KINDS: dict[str, str] = {
    "continue": "open_interpreter.services.continual_jobs:CONTINUE_JOB",
    "export": "open_interpreter.services.export_jobs:EXPORT_JOB",
    "monitor-classifier": "open_interpreter.apps.monitor.training:MONITOR_CLASSIFIER_JOB",
    "recommender": "open_interpreter.apps.recommend.jobs:TRAIN_JOB",
}
"""Every kind other than ``fine_tune``: its name → ``module:attribute`` of its :class:`JobKind`."""


class LeaseLost(Exception):
    """The job is no longer running under this run's lease (cancelled or requeued)."""


@dataclass(frozen=True)
class JobKind:
    """What a job of one kind checks before it is queued and does when a worker runs it.

    Attributes:
        name: The kind, as stored on the job (``fine_tune_jobs.kind``).
        check: Validates and completes a job's config before it is queued; raises an
            :class:`~open_interpreter.errors.OpenInterpreterError` naming what is wrong.
        run: Runs the job in a worker's child process; its returned mapping is kept as
            the job's ``result``. It raises to fail the job (an ``OpenInterpreterError``
            with a message the user reads), and should call
            :meth:`JobContext.check_cancelled` between long steps.
    """

    name: str
    check: Callable[[dict[str, Any]], dict[str, Any]]
    run: Callable[[JobContext], dict[str, Any] | None]


@dataclass
class JobContext:
    """What a running job of any kind is given: the database, its job, a folder to write.

    Attributes:
        db: The database (open a session with ``db.session()``).
        lease: The run's claim on the job; every write below is fenced by it.
        job: The job's row, detached (``id``, ``model_name``, ``config``, dataset ids).
        run_dir: The job's own folder (``jobs/<id>/run``), kept across retries.
    """

    db: Database
    lease: Lease
    job: FineTuneJob
    run_dir: Path

    def event(
        self, type: str, data: dict[str, Any], *, progress: dict[str, Any] | None = None
    ) -> None:
        """Record an event (``step``, ``evaluation``, ``log``...) and optionally the job's
        progress.

        Raises:
            LeaseLost: The job was cancelled or taken over; stop at once.
        """
        from open_interpreter.services import job_queue
        from open_interpreter.storage.tables import json_safe

        with self.db.session() as session:
            safe_progress = json_safe(progress) if progress is not None else None
            if not job_queue.record_event(
                session, self.lease, type, json_safe(data), progress=safe_progress
            ):
                raise LeaseLost

    def log(self, message: str, **extra: Any) -> None:
        """Record a log line the job's events show."""
        self.event("log", {"message": message, **extra})

    def check_cancelled(self) -> None:
        """Raise :class:`LeaseLost` if the job was cancelled or taken over (the worker
        then ends it as cancelled, or leaves it to the worker that took it)."""
        from open_interpreter.services import job_queue
        from open_interpreter.storage.tables import FineTuneJob

        with self.db.session() as session:
            job = session.get(FineTuneJob, self.lease.job_id)
            if (
                job is None
                or job.cancel_requested
                or not job_queue.lease_holds(session, self.lease)
            ):
                raise LeaseLost


def job_kind(name: str) -> JobKind:
    """The :class:`JobKind` called ``name``.

    Raises:
        ConfigError: No such kind (the message lists the known ones).
    """
    target = KINDS.get(name)
    if target is None:
        known = ", ".join(sorted([FINE_TUNE, *KINDS]))
        raise ConfigError(f"unknown job kind {name[:40]!r}; the kinds are: {known}")
    module_name, _, attribute = target.partition(":")
    kind = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(kind, JobKind) or kind.name != name:
        raise TypeError(f"{target} is not the JobKind {name!r}")
    return kind
