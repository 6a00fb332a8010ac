"""Fine-tunes run from the CLI (``oi train``) or Python (``OpenInterpreter.fine_tune``),
recorded where the server records its jobs, so the dashboard's runs page and ``oi runs``
list them beside the server's.

A recorded run is a ``fine_tune_jobs`` row with ``source`` ``cli`` or ``python`` (no
uploaded dataset: ``train_dataset_id`` is empty) and its ``job_events``: the status
changes, the step events (loss curve) and the evaluations, written every
``flush_every_s`` seconds while it trains; at the end the row holds the reports (before,
after, test) and where the model was saved under ``progress``. Workers never claim or
requeue such a row. Cancelling it (``POST /v1/fine-tunes/{id}/cancel``, the dashboard)
stops the training at its next flush.

A run whose process ended without finishing it (``kill -9``, a crash of the
interpreter, the machine stopped) is marked ``failed`` the next time runs or jobs are
listed or read (:func:`settle_abandoned`): at once on the machine that ran it (its
process is gone), elsewhere once it has been silent for ``ABANDONED_AFTER_S``.

Recording never gets in the way of training: a database that cannot be opened or written
is logged once and the run goes on unrecorded. ``OI_RECORD_RUNS=0`` turns it off.
"""

from __future__ import annotations

import contextvars
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services.job_progress import RunFigures
from open_interpreter.storage import Database, artifacts
from open_interpreter.storage.tables import FineTuneJob, JobEvent, utcnow

logger = logging.getLogger(__name__)

SOURCES = ("server", "cli", "python")
ABANDONED_AFTER_S = 1800
"""How long a recorded run from another machine may go unheard before it counts as
abandoned (a run writes at least every few seconds while it trains, but scoring a large
evaluation set is silent)."""
ABANDONED = "the process running it ended without finishing it (killed, or its machine stopped)"
_SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("oi_run_source", default="python")

EventHook = Callable[[dict[str, Any]], bool | None]


def recording_enabled() -> bool:
    """Whether local fine-tunes are recorded (``OI_RECORD_RUNS`` is not ``0``/``false``)."""
    return os.environ.get("OI_RECORD_RUNS", "1").strip().lower() not in ("0", "false", "no")


@contextmanager
def run_source(source: str) -> Iterator[None]:
    """Record fine-tunes started inside this block as coming from ``source`` (``cli``)."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON and PostgreSQL refuse them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class RunRecorder:
    """Record one local fine-tune: :meth:`start`, :meth:`on_event` for each event, then
    :meth:`finish` or :meth:`fail`.

    Args:
        db: Where to record (the server's database: ``OI_DATABASE_URL``, else SQLite
            under ``$OI_HOME``).
        name: What the run is called (the saved model's name).
        config: The run's settings.
        source: ``cli`` or ``python``.
        flush_every_s: How often buffered events are written.
    """

    def __init__(
        self,
        db: Database,
        *,
        name: str,
        config: dict[str, Any],
        source: str = "python",
        flush_every_s: float = 2.0,
    ):
        if source not in SOURCES[1:]:
            raise ConfigError(f"a recorded run's source is cli or python, got {source!r}")
        self.db, self.name, self.config, self.source = db, name, config, source
        self.flush_every_s = flush_every_s
        self.run_id: str | None = None
        self._pending: list[dict[str, Any]] = []
        self._flushed_at = time.monotonic()
        self._progress: dict[str, Any] = {}
        self._figures = RunFigures(config.get("early_stopping_metric"))  # best_metric

    def start(self) -> str:
        """Record the run as running; returns its id."""
        now = utcnow()
        run = FineTuneJob(
            id=artifacts.new_id("ft"),
            status="running",
            source=self.source,
            model_name=self.name[:200],
            config=_finite(self.config),
            train_dataset_id=None,
            created_at=now,
            started_at=now,
            heartbeat_at=now,
            attempts=1,
            worker_id=f"{self.source}@{socket.gethostname()}:{os.getpid()}"[:100],
        )
        with self.db.session() as session:
            session.add(run)
            session.add(JobEvent(job_id=run.id, type="status", data={"status": "running"}))
            session.commit()
        self.run_id = run.id
        return run.id

    def on_event(self, event: dict[str, Any]) -> bool:
        """Buffer a step or evaluation event; write the buffer every ``flush_every_s``.

        Returns:
            True when the run was cancelled meanwhile (training then stops).
        """
        data = {k: v for k, v in event.items() if k != "type"}
        kind = event.get("type", "log")
        self._figures.observe(event)
        self._pending.append({"type": kind, "data": _finite(data)})
        if kind == "step":
            for key in ("step", "total_steps", "loss", "epoch"):
                if key in data:
                    self._progress[key] = _finite(data[key])
        last = kind == "step" and data.get("step") == data.get("total_steps")
        if (
            kind == "evaluation"
            or last
            or time.monotonic() - self._flushed_at >= self.flush_every_s
        ):
            return self._flush()
        return False

    def _flush(self, **changes: Any) -> bool:
        self._flushed_at = time.monotonic()
        with self.db.session() as session:
            run = session.get(FineTuneJob, self.run_id)
            if run is None:
                return True  # deleted meanwhile: stop
            for event in self._pending:
                session.add(JobEvent(job_id=run.id, type=event["type"], data=event["data"]))
            self._pending = []
            run.progress = _finite(
                {**(run.progress or {}), **self._figures.progress(), **self._progress}
            )
            run.heartbeat_at = utcnow()
            for key, value in changes.items():
                setattr(run, key, value)
            cancelled = bool(run.cancel_requested)
            session.commit()
        return cancelled

    def finish(self, summary: dict[str, Any], output_dir: str | None = None) -> None:
        """Record the run's end: ``summary`` (``FineTuneResult.to_dict()``) and where the
        model was saved; ``cancelled`` when cancelling stopped it, else ``succeeded``."""
        with self.db.session() as session:
            cancelled = bool(session.get(FineTuneJob, self.run_id).cancel_requested)
        status = "cancelled" if cancelled else "succeeded"
        self._progress.update(_finite({"result": summary, "output_dir": output_dir}))
        self._pending.append({"type": "status", "data": {"status": status}})
        self._flush(status=status, finished_at=utcnow())

    def fail(self, error: BaseException) -> None:
        """Record that the run failed with ``error``."""
        message = f"{type(error).__name__}: {error}".splitlines()[0][:2000]
        self._pending.append({"type": "status", "data": {"status": "failed", "error": message}})
        self._flush(status="failed", finished_at=utcnow(), error=message)


@contextmanager
def recorded_run(
    name: str, config: dict[str, Any], on_event: EventHook | None
) -> Iterator[tuple[RunRecorder | None, EventHook | None]]:
    """Record the fine-tune run inside the block, unless recording is off or the database
    cannot be opened (logged, once per run).

    Yields:
        The recorder (None when not recording) and the event hook to train with: it
        records each event and calls ``on_event``; it stops training when either asks.
        Call ``recorder.finish(...)`` once training has succeeded; a failure is recorded
        by the block itself.
    """
    recorder = None
    if recording_enabled():
        try:
            recorder = RunRecorder(Database(), name=name, config=config, source=_SOURCE.get())
            recorder.start()
        except Exception as exc:  # recording must never stop a run
            logger.warning("this run is not recorded (oi runs): %s", exc)
            recorder = None
    if recorder is None:
        yield None, on_event
        return

    def hook(event: dict[str, Any]) -> bool | None:
        stop = False
        try:
            stop = recorder.on_event(event)
        except Exception as exc:
            logger.warning("recording run %s failed: %s", recorder.run_id, exc)
        return bool(on_event(event) if on_event else False) or stop

    try:
        yield recorder, hook
    except BaseException as exc:
        try:
            recorder.fail(exc)
        except Exception as record_error:
            logger.warning("recording run %s failed: %s", recorder.run_id, record_error)
        raise


def settle_abandoned(session: Session) -> int:
    """Mark ``failed`` every recorded run still ``running`` whose process is gone.

    On this machine a run's process is looked up by its id (the run's ``worker_id`` is
    ``cli@HOST:PID``); a run from another machine is abandoned once its last write is
    ``ABANDONED_AFTER_S`` old.

    Returns:
        How many runs were marked.
    """
    from open_interpreter.services.jobs import update_if

    running = session.scalars(
        select(FineTuneJob).where(FineTuneJob.status == "running", FineTuneJob.source != "server")
    ).all()
    settled = 0
    for run in running:
        if not _abandoned(run):
            continue
        end = {"status": "failed", "error": ABANDONED, "finished_at": utcnow()}
        if update_if(session, run.id, "running", **end):
            session.add(
                JobEvent(
                    job_id=run.id, type="status", data={"status": "failed", "error": ABANDONED}
                )
            )
            settled += 1
    if settled:
        session.commit()
    return settled


def _abandoned(run: FineTuneJob) -> bool:
    _, _, where = (run.worker_id or "").partition("@")
    host, _, pid = where.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _process_alive(int(pid))
    last = (run.heartbeat_at or run.started_at or run.created_at).replace(tzinfo=None)
    return (utcnow() - last).total_seconds() > ABANDONED_AFTER_S


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return True  # cannot tell: leave the run as it is
    return True


def list_runs(db: Database, *, source: str | None = None, limit: int = 50) -> list[FineTuneJob]:
    """Every run, newest first: server jobs and recorded CLI and Python runs.

    Raises:
        ConfigError: ``source`` is not ``server``, ``cli`` or ``python``.
    """
    query = select(FineTuneJob)
    if source is not None:
        if source not in SOURCES:
            raise ConfigError(f"unknown run source {source!r}; use one of {list(SOURCES)}")
        query = query.where(FineTuneJob.source == source)
    with db.session() as session:
        settle_abandoned(session)
        return list(
            session.scalars(
                query.order_by(FineTuneJob.created_at.desc(), FineTuneJob.id.desc()).limit(limit)
            )
        )


def get_run(db: Database, run_id: str) -> tuple[FineTuneJob, list[JobEvent]]:
    """A run and its events, oldest first.

    Raises:
        NotFoundError: No run has this id.
    """
    with db.session() as session:
        settle_abandoned(session)
        run = session.get(FineTuneJob, run_id)
        if run is None:
            known = session.scalar(select(func.count()).select_from(FineTuneJob)) or 0
            raise NotFoundError(f"no run {run_id!r} ({known} recorded: see `oi runs list`)")
        events = list(
            session.scalars(select(JobEvent).where(JobEvent.job_id == run_id).order_by(JobEvent.id))
        )
        return run, events
