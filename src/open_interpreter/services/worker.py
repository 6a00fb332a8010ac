"""Workers: claim queued fine-tune jobs and run each in a child process.

A worker loops: requeue stale jobs → claim the oldest queued job → start a child
process that runs it (:mod:`job_runner`) → while the child lives, heartbeat
the job and watch for a cancel → settle the job from how the child ended.

The child does the training, so nothing it does (an exception, running out of memory,
a segfault, being killed) can take the worker down: the worker marks the job failed with
the exit code and claims the next one. A cancel terminates the child (SIGTERM, then
SIGKILL after a grace period) within a few seconds, even mid-epoch. Any number of
workers, on any number of machines, can share one database (``oi worker``); ``oi serve``
starts some inside itself with :func:`start_embedded_workers`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from open_interpreter.errors import ConfigError
from open_interpreter.services import job_queue, jobs, studies
from open_interpreter.services.capacity import Capacity
from open_interpreter.services.job_queue import Lease
from open_interpreter.services.job_runner import run_job_process
from open_interpreter.services.workers import WorkerPresence
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob

logger = logging.getLogger(__name__)

_WATCH_TICK_S = 0.2

PRELOADED = (
    "torch",
    "transformers",
    "peft",
    "open_interpreter.training.recipe",
    "open_interpreter.services.job_runner",
)
"""What a job's process has imported before it starts: the training stack, about 6 s of
imports on a 2-core CPU, paid once per worker instead of once per job."""


def job_process_context() -> multiprocessing.context.BaseContext:
    """How a worker starts its jobs' processes: ``forkserver`` with :data:`PRELOADED`.

    The fork server is a fresh interpreter (never a fork of the worker, which may be a
    server with threads and open connections) that imports the training stack once and
    forks a clean child for each job, which so starts in a fraction of a second. Each
    child still takes its worker's environment (``run_job_process``) and working
    directory. Where there is no ``forkserver`` (Windows), children are ``spawn``ed.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context


_UNKNOWN = object()  # a heartbeat that could not reach the database


def default_worker_id() -> str:
    """``<host>-<pid>-<random>``: unique per worker, readable in logs and job rows."""
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{secrets.token_hex(3)}"


class Worker:
    """Claims fine-tune jobs from the database at ``database_url`` and runs them one at a time.

    Args:
        database_url: The database shared with the API (SQLite file or PostgreSQL).
        worker_id: How this worker is named in job rows (default: host, pid and a random part).
        poll_interval: Seconds to wait when no job is queued.
        heartbeat_interval: Seconds between heartbeats of a running job (and cancel checks);
            default: a third of ``stale_after``, at most 2 s.
        stale_after: Seconds without a heartbeat after which a running job is requeued
            (give every worker sharing a database the same value).
        grace_period: Seconds a terminated child gets before it is killed.
        migrate: Bring the database schema up to date when opening it.
        capacity: What it can give a job (processes, GPUs, memory); it claims only the
            jobs that fit (default: one process, no GPU, no stated memory).

    Raises:
        ConfigError: ``heartbeat_interval`` is not shorter than ``stale_after``.

    Example:
        >>> stop = threading.Event()
        >>> Worker("sqlite:///oi.db").run(stop)  # doctest: +SKIP
    """

    def __init__(
        self,
        database_url: str,
        *,
        worker_id: str | None = None,
        poll_interval: float = 1.0,
        heartbeat_interval: float | None = None,
        stale_after: float = 15.0,
        grace_period: float = 5.0,
        migrate: bool = True,
        capacity: Capacity | None = None,
    ):
        self.database_url = database_url
        self.capacity = capacity or Capacity()
        self.worker_id = worker_id or default_worker_id()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval or min(2.0, stale_after / 3)
        if self.heartbeat_interval >= stale_after:
            raise ConfigError(
                f"heartbeat_interval={heartbeat_interval} must be shorter than "
                f"stale_after={stale_after}, or running jobs would look stale"
            )
        self.stale_after = stale_after
        self.grace_period = grace_period
        self._migrate = migrate
        self._db: Database | None = None
        self._context = job_process_context()
        self.presence = WorkerPresence(  # its row in the workers table
            lambda: self.db,
            worker_id=self.worker_id,
            capacity=self.capacity,
            lease_timeout_s=stale_after,
            every_s=self.heartbeat_interval,
        )

    @property
    def db(self) -> Database:
        """The database, opened on first use."""
        if self._db is None:
            self._db = Database(self.database_url, migrate=self._migrate)
        return self._db

    def run(self, stop: threading.Event) -> None:
        """Run jobs until ``stop`` is set; a job running then is stopped and requeued.

        Errors (a database that is briefly unreachable...) are logged and retried after
        ``poll_interval``; they never end the loop.
        """
        logger.info("worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                try:
                    worked = self.run_once(stop)
                except Exception:
                    logger.exception("worker %s: error, retrying", self.worker_id)
                    worked = False
                if not worked:
                    stop.wait(self.poll_interval)
        finally:
            self.close()
            logger.info("worker %s stopped", self.worker_id)

    def close(self) -> None:
        """Mark this worker stopped in the workers table and close its database."""
        self.presence.stop()
        if self._db is not None:
            self._db.dispose()

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """Requeue stale jobs, then claim one job and run it to its end.

        Args:
            stop: When set during the job, the job is stopped and put back in the queue.

        Returns:
            Whether a job was claimed.
        """
        self.presence.beat()
        with self.db.session() as session:
            requeued = job_queue.requeue_stale_jobs(session, stale_after_s=self.stale_after)
        if requeued:
            logger.info("worker %s requeued stale jobs %s", self.worker_id, requeued)
        self._advance_studies()
        with self.db.session() as session:
            job = job_queue.claim_job(session, worker_id=self.worker_id, capacity=self.capacity)
        if job is None:
            return False
        lease = Lease.of(job)
        if job.cancel_requested:  # asked while it was being requeued
            with self.db.session() as session:
                job_queue.finish_job(
                    session, lease, status="cancelled", error="cancelled on request"
                )
            return True
        logger.info("worker %s runs job %s (attempt %d)", self.worker_id, job.id, lease.attempt)
        self.presence.beat(job.id)
        self._supervise(lease, stop)
        self.presence.beat()
        return True

    def _advance_studies(self) -> None:
        """Settle the trials of studies whose jobs ended and queue their next trials."""
        try:
            with self.db.session() as session:
                studies.advance_studies(session, self.database_url)
        except Exception:  # a study's trouble never stops the worker's own jobs
            logger.warning("worker %s: advancing studies failed", self.worker_id, exc_info=True)

    def _supervise(self, lease: Lease, stop: threading.Event | None) -> None:
        """Run the job's child process, watch it, and settle the job when it ends."""
        process = self._context.Process(
            target=run_job_process,
            args=(self.database_url, lease, dict(os.environ)),
            name=f"oi-job-{lease.job_id}",
        )
        try:
            self._start_beating(process, lease)
            outcome = self._watch(process, lease, stop)
        except BaseException:  # e.g. KeyboardInterrupt: stop the child, let a worker resume
            if process.pid is not None:
                self._terminate(process)
            self._settle(lease, "stopping", None)
            raise
        if process.is_alive():
            self._terminate(process)
        self._settle(lease, outcome, process.exitcode)
        process.close()

    def _start_beating(self, process: BaseProcess, lease: Lease) -> None:
        """Start the job's process, heart-beating the job meanwhile.

        A worker's first job also starts its fork server, which imports the training stack:
        6 s on a quiet 2-core CPU, 13-14 s measured under load, longer than a lease. Without
        these beats another worker would requeue the job (a wasted attempt) while it starts.
        """
        started = threading.Event()

        def beat() -> None:
            while not started.wait(self.heartbeat_interval):
                self._beat(lease)

        beating = threading.Thread(target=beat, name=f"oi-start-{lease.job_id}", daemon=True)
        beating.start()
        try:
            process.start()
        finally:
            started.set()
            beating.join()

    def _watch(self, process: BaseProcess, lease: Lease, stop: threading.Event | None) -> str:
        """Wait for the child to end, heart-beating; say why the watch ended."""
        next_beat = time.monotonic() + self.heartbeat_interval
        while True:
            process.join(_WATCH_TICK_S)
            if not process.is_alive():
                return "exited"
            if stop is not None and stop.is_set():
                return "stopping"
            if time.monotonic() < next_beat:
                continue
            next_beat = time.monotonic() + self.heartbeat_interval
            job = self._beat(lease)
            if job is None:
                # The lease is gone. Most often the child has just recorded its result
                # and is exiting: give it the grace period before calling the job lost.
                process.join(self.grace_period)
                if not process.is_alive():
                    return "exited"
                return "slow exit" if self._finished(lease) else "lost"
            if job is not _UNKNOWN and job.cancel_requested:
                return "cancel"

    def _finished(self, lease: Lease) -> bool:
        """Whether this attempt of the job recorded its result (so its lease ended)."""
        with self.db.session() as session:
            job = session.get(FineTuneJob, lease.job_id)
            return job is not None and job.status in jobs.FINISHED and job.attempts == lease.attempt

    def _beat(self, lease: Lease) -> object:
        """Heartbeat the job: the job row, None when the lease is gone, or ``_UNKNOWN``."""
        self.presence.beat(lease.job_id)
        try:
            with self.db.session() as session:
                return job_queue.heartbeat(session, lease)
        except Exception:
            logger.warning("worker %s: heartbeat failed", self.worker_id, exc_info=True)
            return _UNKNOWN

    def _terminate(self, process: BaseProcess) -> None:
        """SIGTERM the child, then SIGKILL it if it is still there after the grace period."""
        process.terminate()
        process.join(self.grace_period)
        if process.is_alive():
            process.kill()
            process.join()

    def _settle(self, lease: Lease, outcome: str, exitcode: int | None) -> None:
        """Record how the run ended (fenced: a no-op when the child already did)."""
        with self.db.session() as session:
            if outcome == "cancel":
                job_queue.finish_job(
                    session, lease, status="cancelled", error="cancelled on request"
                )
            elif outcome == "stopping":
                job_queue.release_job(session, lease, reason=f"worker {self.worker_id} stopped")
            elif outcome == "exited":
                job_queue.finish_job(session, lease, status="failed", error=_exit_reason(exitcode))
            job = session.get(FineTuneJob, lease.job_id)
            status = job.status if job is not None else "deleted"
        logger.info("worker %s: job %s %s (%s)", self.worker_id, lease.job_id, outcome, status)


def _exit_reason(exitcode: int | None) -> str:
    """Why a child that did not record a result ended, in words."""
    if exitcode is None or exitcode == 0:
        return "the job process ended without recording a result"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the job process was killed by {name} (out of memory?)"
    return f"the job process exited with code {exitcode}"


@dataclass
class EmbeddedWorkers:
    """Workers running in threads of this process (``oi serve --workers N``).

    Attributes:
        workers: The workers.
        threads: The thread running each one.
    """

    workers: list[Worker]
    threads: list[threading.Thread]
    _stop: threading.Event = field(default_factory=threading.Event)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop every worker: running jobs are terminated and requeued (they resume later).

        Args:
            timeout: Seconds to wait for each thread.
        """
        self._stop.set()
        for thread in self.threads:
            thread.join(timeout)


def start_embedded_workers(database_url: str, n: int, **options: Any) -> EmbeddedWorkers:
    """Start ``n`` workers in daemon threads of this process.

    Each runs its jobs in child processes, so the threads only wait and heartbeat.

    Args:
        database_url: The (already migrated) database the API uses.
        n: How many workers; 0 starts none.
        **options: :class:`Worker` options (``poll_interval``, ``stale_after``...).

    Returns:
        A handle whose ``stop()`` stops them all.

    Example:
        >>> handle = start_embedded_workers("sqlite:///oi.db", 1)  # doctest: +SKIP
        >>> handle.stop()  # doctest: +SKIP
    """
    handle = EmbeddedWorkers(workers=[], threads=[])
    for index in range(n):
        worker = Worker(database_url, migrate=False, **options)
        thread = threading.Thread(
            target=worker.run, args=(handle._stop,), name=f"oi-worker-{index}", daemon=True
        )
        handle.workers.append(worker)
        handle.threads.append(thread)
        thread.start()
    return handle
