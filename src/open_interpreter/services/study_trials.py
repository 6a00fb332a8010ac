"""A study's trials as the job runner and the study's readers see them: where Optuna's
record of the studies is, the trials' rows, and the reporter that sends each epoch's
validation score of a trial's job to its Optuna trial (and stops the job when the pruner
says so). See :mod:`open_interpreter.services.studies`.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.services.study_tables import TuningStudy, TuningTrial

logger = logging.getLogger(__name__)


class TrialPruned(Exception):
    """Raised from a trial's training when the pruner stops it after an epoch.

    Attributes:
        epoch: The epoch after which it was stopped.
        value: Its validation score then.
    """

    def __init__(self, metric: str, epoch: int, value: float):
        super().__init__(f"pruned by its study after epoch {epoch}: {metric}={value:.4f}")
        self.epoch, self.value = epoch, value


def storage_url(database_url: str) -> str:
    """Where the studies of the platform database ``database_url`` keep Optuna's tables:
    ``OI_STUDIES_DATABASE_URL`` when set; on PostgreSQL the same database (schema
    ``optuna``); on SQLite a ``studies.db`` file beside the database file.

    Raises:
        ConfigError: An in-memory SQLite database (no file to put the studies beside).
    """
    from open_interpreter.tuning.storage import STUDIES_URL_VARIABLE

    explicit = os.environ.get(STUDIES_URL_VARIABLE)
    if explicit:
        return explicit
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "postgresql":
        return database_url
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigError(
            "studies need a database file (an in-memory SQLite has no place for them)"
        )
    return f"sqlite:///{Path(parsed.database).resolve().parent / 'studies.db'}"


def trials_of(session: Session, study_id: str) -> list[TuningTrial]:
    """The study's trials, in the order they were asked for."""
    query = select(TuningTrial).where(TuningTrial.study_id == study_id)
    return list(session.scalars(query.order_by(TuningTrial.number)))


@contextmanager
def optuna_study(
    row: TuningStudy, database_url: str, *, create: bool = False, asked: int = 0
) -> Iterator[Any]:
    """The Optuna study of ``row``, with its sampler (seeded by how many trials were
    asked, so each ask draws afresh) and pruner; its connections closed afterwards."""
    import optuna

    from open_interpreter.tuning.space import parse_space
    from open_interpreter.tuning.storage import open_storage
    from open_interpreter.tuning.study import _pruner, _sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = FineTuneConfig.build(row.config)
    space = parse_space(row.search["space"], base)
    backend = open_storage(storage_url(database_url))
    options = {
        "storage": backend,
        "sampler": _sampler(optuna, row.search["sampler"], base.seed + asked),
        "pruner": _pruner(optuna, row.search["pruner"], space, base),
    }
    try:
        if create:
            yield optuna.create_study(
                study_name=row.id, direction=row.search["direction"], **options
            )
        else:
            yield optuna.load_study(study_name=row.id, **options)
    finally:
        backend.engine.dispose()


class TrialReporter:
    """The job runner's reporter of a trial's epochs: each validation score goes to the
    trial in Optuna's storage, and the pruner decides whether the trial goes on.

    Args:
        study: The study row (detached is fine).
        trial: The trial row.
        database_url: The platform database's URL.

    Raises:
        TrialPruned: From the callback, when the pruner stops the trial.
    """

    def __init__(self, study: TuningStudy, trial: TuningTrial, database_url: str):
        self.study_row, self.trial_row, self.database_url = study, trial, database_url
        self.metric = study.search["metric"]

    def __call__(self, event: dict[str, Any]) -> None:
        """Report an evaluation event; other events are ignored."""
        if event.get("type") != "evaluation":
            return
        metrics = event.get("metrics") or {}
        value = metrics.get(self.metric)
        if not isinstance(value, int | float) or not math.isfinite(value):
            logger.warning("trial %d: no %s measured", self.trial_row.number, self.metric)
            return
        import optuna

        epoch = int(event.get("epoch") or 0)
        try:
            with optuna_study(self.study_row, self.database_url) as study:
                trial = optuna.trial.Trial(study, self.trial_row.optuna_trial_id)
                trial.report(float(value), epoch)
                prune = trial.should_prune()
        except Exception as error:  # the study was cancelled, its storage is unreachable...
            logger.warning("trial %d: epoch not reported: %s", self.trial_row.number, error)
            return
        if prune:
            raise TrialPruned(self.metric, epoch, float(value))


def mark_pruned(session: Session, job_id: str, pruned: TrialPruned) -> None:
    """Note on the job's trial after which epoch it was pruned (the caller commits, with
    the job's end)."""
    session.execute(
        update(TuningTrial)
        .where(TuningTrial.job_id == job_id)
        .values(pruned_at=pruned.epoch, value=pruned.value)
        .execution_options(synchronize_session=False)
    )


def best_trial(row: TuningStudy, trials: list[TuningTrial]) -> TuningTrial | None:
    """The completed trial with the best score (the earliest of equals), if any."""
    complete = [t for t in trials if t.state == "complete" and t.value is not None]
    if not complete:
        return None
    pick = max if row.search["direction"] == "maximize" else min
    return pick(complete, key=lambda t: (t.value, -t.number))


def finite(value: float | None) -> float | None:
    """``value``, or None for NaN and infinities (JSON has neither)."""
    return value if value is None or math.isfinite(value) else None
