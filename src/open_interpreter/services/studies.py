"""Hyperparameter studies run as fine-tune jobs: create, advance, list, get, cancel, register.

A study asks Optuna for a trial (ask/tell), queues a fine-tune job with the values it
drew, and tells Optuna the trial's score when the job ends, so N workers run N trials at
once (up to the study's ``parallel``). While a trial trains, the job runner reports each
epoch's validation score to the trial (:class:`TrialReporter`) and stops the job when the
pruner says it cannot catch up.

Nobody runs a study in a loop of its own: :func:`advance_study` settles the trials whose
jobs ended and queues the next ones, and workers call :func:`advance_studies` before each
claim (a study is advanced by one caller at a time, under a short lock on its row).
A worker killed mid-trial leaves the trial's job running without heartbeats; the queue
requeues it (it resumes from its checkpoint) or fails it after its last attempt, and the
study tells Optuna the trial failed and goes on with the next one.

What a trial's job uses (the reporter, where Optuna's record is) is in
:mod:`~open_interpreter.services.study_trials`; what is shown of a study, in
:mod:`~open_interpreter.services.study_views`. Studies belong to the key that created
them, as fine-tune jobs do (:mod:`~open_interpreter.services.callers`). Functions take
a ``Session`` first and raise library errors, never HTTP ones. See ``docs/hpo.md``.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from open_interpreter.config import FineTuneConfig, validated
from open_interpreter.errors import ConfigError, ConflictError, NotFoundError
from open_interpreter.services import audit, jobs, registry
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.registry import validate_model_name
from open_interpreter.services.study_tables import TuningStudy, TuningTrial
from open_interpreter.services.study_trials import (
    TrialPruned,
    TrialReporter,
    best_trial,
    finite,
    mark_pruned,
    optuna_study,
    storage_url,
    trials_of,
)
from open_interpreter.services.study_views import study_view
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset, FineTuneJob, ModelVersion, utcnow

logger = logging.getLogger(__name__)

__all__ = [
    "TrialPruned",
    "TrialReporter",
    "add_trials",
    "advance_studies",
    "advance_study",
    "cancel_study",
    "create_study",
    "get_study",
    "list_studies",
    "mark_pruned",
    "register_best",
    "storage_url",
    "study_view",
    "trial_of_job",
    "trials_of",
]

STATUSES = ("running", "succeeded", "failed", "cancelled")
MAX_PARALLEL = 32
MAX_TRIALS = 1000
"""The most trials a study may plan in all (its first ``n_trials`` and those added)."""
LOCK_S = 120.0
"""How long one caller may hold a study's row while it advances it."""


def create_study(
    session: Session,
    *,
    database_url: str,
    model_name: str,
    config: dict[str, Any],
    train_dataset_id: str,
    validation_dataset_id: str | None,
    search: dict[str, Any],
    parallel: int = 2,
    register_best: bool = False,
    allow_remote_code: bool = False,
    caller: Caller = LOCAL,
) -> TuningStudy:
    """Check a study's settings, store it, and queue its first trials as fine-tune jobs.

    Args:
        session: A database session.
        database_url: The platform database's URL (Optuna's tables go beside it).
        model_name: Registry name the best trial's model registers under.
        config: The base settings every trial starts from (as for a fine-tune job).
        train_dataset_id: The training dataset.
        validation_dataset_id: The dataset each epoch of each trial is scored on.
        search: :class:`~open_interpreter.tuning.settings.SearchConfig` fields (``space``,
            ``n_trials``, ``metric``, ``direction``, ``pruner``, ``sampler``, ``baseline``,
            ``timeout``, ``name``).
        parallel: How many trials may train at once (one job each).
        register_best: Register the best trial's model when the study ends.
        allow_remote_code: Whether the server lets a job set ``trust_remote_code``.
        caller: Who creates it: the study and its jobs belong to its key.

    Returns:
        The study, running, with its first ``parallel`` trials queued.

    Raises:
        ConfigError: Invalid settings: an empty or contradictory space, a metric the task
            does not measure, no validation data, a bad budget.
        NotFoundError: A dataset id does not exist (or belongs to another key).
    """
    import optuna

    from open_interpreter.tuning.defaults import default_space
    from open_interpreter.tuning.settings import SearchConfig
    from open_interpreter.tuning.space import parse_space
    from open_interpreter.tuning.study import _check_metric

    validate_model_name(model_name)
    base = jobs._job_config(config)
    if base.trust_remote_code and not allow_remote_code:
        raise ConfigError(
            "trust_remote_code=true would run the model repository's own code on the server; "
            "this server does not allow it (setting OI_ALLOW_REMOTE_CODE)"
        )
    if not base.eval_every_epoch:
        raise ConfigError("a study scores trials after each epoch: drop eval_every_epoch=false")
    if not isinstance(search, dict):
        raise ConfigError(f"search must be a mapping of settings, got {type(search).__name__}")
    settings = validated(SearchConfig, search)
    if settings.n_jobs != 1:
        raise ConfigError("n_jobs is for studies in one process; a job study uses parallel")
    if not 1 <= parallel <= MAX_PARALLEL:
        raise ConfigError(f"parallel={parallel} must be between 1 and {MAX_PARALLEL}")
    if validation_dataset_id is None:
        raise ConfigError(
            "a study scores every trial on validation data after each epoch: "
            "pass validation_dataset_id"
        )
    train = _dataset(session, "train_dataset_id", train_dataset_id, caller)
    _dataset(session, "validation_dataset_id", validation_dataset_id, caller)
    task = _task_of(base, train)
    asked = default_space(task, base) if settings.space == "default" else settings.space
    space = parse_space(asked, base)
    metric = _check_metric(settings.metric, task, base)
    direction = settings.direction_for(metric)
    row = TuningStudy(
        id=artifacts.new_id("st"),
        status="running",
        model_name=model_name,
        task=task,
        config=base.model_dump(mode="json"),
        search={
            "name": settings.name,
            "space": space.to_dict(),
            "n_trials": settings.n_trials,
            "timeout": settings.timeout,
            "metric": metric,
            "direction": direction,
            "pruner": settings.pruner,
            "sampler": settings.sampler,
            "baseline": settings.baseline,
            "parallel": parallel,
        },
        train_dataset_id=train_dataset_id,
        validation_dataset_id=validation_dataset_id,
        register_best=register_best,
        owner_key_id=caller.key_id,
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with optuna_study(row, database_url, create=True) as study:
        attrs = {
            "metric": metric,
            "task": task,
            "model": base.model,
            "space": space.to_dict(),
            "sampler": settings.sampler,
            "pruner": settings.pruner,
            "n_trials": settings.n_trials,
            "created": utcnow().isoformat(timespec="seconds"),
            "base_config": row.config,
            "platform_study": row.id,
        }
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        if settings.baseline:
            study.enqueue_trial({}, user_attrs={"baseline": True})
    session.add(row)
    session.commit()
    advance_study(session, row.id, database_url)
    return get_study(session, row.id)


def get_study(session: Session, study_id: str, *, caller: Caller = LOCAL) -> TuningStudy:
    """The study ``study_id``, freshly read.

    Raises:
        NotFoundError: No study has that id, or ``caller`` may not see it.
    """
    row = (
        session.get(TuningStudy, study_id, populate_existing=True)
        if jobs._is_id(study_id)
        else None
    )
    if row is None or not caller.may_see(row.owner_key_id):
        raise NotFoundError(f"no study with id {study_id!r}")
    return row


def list_studies(
    session: Session, *, limit: int = 50, offset: int = 0, caller: Caller = LOCAL
) -> tuple[list[TuningStudy], int]:
    """A page of the studies ``caller`` sees, newest first, and how many there are."""
    query = caller.owned(select(TuningStudy), TuningStudy.owner_key_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(TuningStudy.created_at.desc(), TuningStudy.id.desc())
        .limit(jobs._bounded(limit))
        .offset(jobs._bounded(offset))
    )
    return list(rows), total


def trial_of_job(session: Session, job_id: str) -> tuple[TuningTrial, TuningStudy] | None:
    """The trial a job trains, and its study; None for a job outside any study."""
    trial = session.scalar(select(TuningTrial).where(TuningTrial.job_id == job_id))
    if trial is None:
        return None
    return trial, session.get(TuningStudy, trial.study_id)


def advance_studies(session: Session, database_url: str) -> list[str]:
    """Advance every running study that has something to do (see :func:`advance_study`).

    Returns:
        The ids of the studies that changed.
    """
    ids = session.scalars(select(TuningStudy.id).where(TuningStudy.status == "running")).all()
    return [study_id for study_id in ids if advance_study(session, study_id, database_url)]


def advance_study(session: Session, study_id: str, database_url: str) -> bool:
    """Tell Optuna how the trials whose jobs ended did, queue the next trials (up to the
    study's ``parallel`` at once and ``n_trials`` in all), and end the study when every
    trial has ended: its best trial is kept and, with ``register_best``, registered.

    Cheap when there is nothing to do (no Optuna call); a study another caller is
    advancing is left to it.

    Returns:
        Whether anything changed.
    """
    row = session.get(TuningStudy, study_id, populate_existing=True)
    if row is None or row.status != "running" or not _has_work(session, row):
        return False
    if not _lock(session, study_id):
        return False
    try:
        row = session.get(TuningStudy, study_id, populate_existing=True)
        trials = trials_of(session, study_id)
        with optuna_study(row, database_url, asked=len(trials)) as study:
            _settle(session, row, trials, study)
            running = sum(t.state == "running" for t in trials)
            while running < row.search["parallel"] and _may_ask(row, len(trials)):
                trials.append(_ask(session, row, study, len(trials)))
                running += 1
            if running == 0 and not _may_ask(row, len(trials)):
                _finish(session, row, trials)
        return True
    finally:
        _unlock(session, study_id)


def cancel_study(
    session: Session, study_id: str, database_url: str, *, caller: Caller = LOCAL
) -> TuningStudy:
    """Cancel a study: no new trial starts, and its queued and running trials' jobs are
    cancelled (a running one within a few seconds).

    Raises:
        NotFoundError: No such study (or not one ``caller`` sees).
        ConflictError: The study has already finished.
    """
    row = get_study(session, study_id, caller=caller)
    for _ in range(50):  # wait (at most ~5 s) for a caller advancing it
        if row.status != "running" or _lock(session, study_id):
            break
        time.sleep(0.1)
    try:
        row = get_study(session, study_id)
        if row.status != "running":
            raise ConflictError(
                f"study {study_id} has already finished ({row.status}); "
                "only a running study can be cancelled"
            )
        row.status, row.finished_at, row.error = "cancelled", utcnow(), "cancelled on request"
        session.commit()
        trials = trials_of(session, study_id)
        for trial in trials:
            if trial.state == "running":
                with suppress(ConflictError):  # it ended meanwhile: settled below
                    jobs.cancel_job(session, trial.job_id)
        with optuna_study(row, database_url, asked=len(trials)) as study:
            _settle(session, row, trials, study)
            for trial in trials:
                if trial.state == "running":
                    _tell(study, trial, "failed", None)
                    trial.state, trial.finished_at = "cancelled", utcnow()
            _keep_best(row, trials)
            session.commit()
            _drop_other_models(trials, best_trial(row, trials))
    finally:
        _unlock(session, study_id)
    return get_study(session, study_id)


def add_trials(
    session: Session, study_id: str, database_url: str, n_trials: int, *, caller: Caller = LOCAL
) -> TuningStudy:
    """Give a study ``n_trials`` more trials: one that has ended (succeeded or failed)
    runs again, a running one plans more. The study keeps its space, metric, direction,
    pruner and Optuna record; its ``timeout``, if any, counts again from now; the first
    new trials are queued at once (up to ``parallel``). When it ends again, its best
    trial (over all its trials) is kept and, with ``register_best``, registered if it
    is not the one registered already.

    Raises:
        NotFoundError: No such study (or not one ``caller`` sees).
        ConfigError: ``n_trials`` below 1, or above what a study may plan in all.
        ConflictError: The study was cancelled on request, or is being advanced
            (e.g. registering its best model) right now.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"n_trials={n_trials!r} must be a whole number of at least 1")
    row = get_study(session, study_id, caller=caller)
    if row.status == "cancelled":
        raise ConflictError(
            f"study {study_id} was cancelled on request and takes no more trials; "
            "start a new study with the same settings instead"
        )
    planned = row.search["n_trials"] + n_trials
    if planned > MAX_TRIALS:
        raise ConfigError(
            f"study {study_id} plans {row.search['n_trials']} trials; {n_trials} more would "
            f"make {planned}, above the {MAX_TRIALS} a study may plan"
        )
    for _ in range(50):  # wait (at most ~5 s) for a caller advancing it
        if _lock(session, study_id):
            break
        time.sleep(0.1)
    else:
        raise ConflictError(
            f"study {study_id} is being advanced (its trials settled or its best model "
            "registered) right now; try again in a few seconds"
        )
    try:
        row = get_study(session, study_id)
        if row.status == "cancelled":  # cancelled while we waited
            raise ConflictError(f"study {study_id} was cancelled on request")
        asked = len(trials_of(session, study_id))
        resumed = {"at": utcnow().isoformat(timespec="seconds"), "after": asked, "added": n_trials}
        row.search = {
            **row.search,
            "n_trials": row.search["n_trials"] + n_trials,
            "resumed": [*row.search.get("resumed", []), resumed],
        }
        row.status, row.finished_at, row.error = "running", None, None
        with optuna_study(row, database_url, asked=asked) as study:
            study.set_user_attr("n_trials", row.search["n_trials"])
        session.commit()
        logger.info("study %s: %d more trials (%d in all)", study_id, n_trials, asked + n_trials)
    finally:
        _unlock(session, study_id)
    advance_study(session, study_id, database_url)
    return get_study(session, study_id)


def register_best(session: Session, study_id: str, *, caller: Caller = LOCAL) -> TuningStudy:
    """Register the best completed trial's model as the next version of the study's
    ``model_name``; audited (``study.register``) in the same transaction.

    Raises:
        NotFoundError: No such study (or not one ``caller`` sees).
        ConflictError: No trial has completed yet, or the study's best model is
            registered already.
    """
    row = get_study(session, study_id, caller=caller)
    trials = trials_of(session, study_id)
    best = best_trial(row, trials)
    if row.model_version_id is not None and _registered_trial(session, row) in (
        None,
        best.number if best else None,
    ):
        raise ConflictError(
            f"study {study_id} registered its best model already (version id "
            f"{row.model_version_id})"
        )
    if best is None:
        raise ConflictError(f"study {study_id} has no completed trial to register yet")
    _register(session, row, best, caller)
    return get_study(session, study_id)


# -- inside -----------------------------------------------------------------------------


def _has_work(session: Session, row: TuningStudy) -> bool:
    """Whether advancing ``row`` would change anything (read from the platform's tables
    only, so workers may ask often)."""
    running = select(TuningTrial.job_id).where(
        TuningTrial.study_id == row.id, TuningTrial.state == "running"
    )
    ended = select(func.count()).where(
        FineTuneJob.id.in_(running), FineTuneJob.status.in_(jobs.FINISHED)
    )
    if session.scalar(ended):
        return True
    asked = session.scalar(select(func.count()).where(TuningTrial.study_id == row.id)) or 0
    in_flight = session.scalar(select(func.count()).select_from(running.subquery())) or 0
    may_ask = _may_ask(row, asked)
    return (may_ask and in_flight < row.search["parallel"]) or (in_flight == 0 and not may_ask)


def _may_ask(row: TuningStudy, asked: int) -> bool:
    """Whether the study may start another trial: budget left and time left (the first
    trial always starts, and the first after trials were added; the timeout counts from
    the study's start or the latest addition)."""
    if asked >= row.search["n_trials"]:
        return False
    resumed = row.search.get("resumed") or []
    first, started = 0, row.created_at
    if resumed:
        first, started = resumed[-1]["after"], datetime.fromisoformat(resumed[-1]["at"])
    if asked == first:
        return True
    timeout = row.search.get("timeout")
    return timeout is None or utcnow() < started + timedelta(seconds=timeout)


def _registered_trial(session: Session, row: TuningStudy) -> int | None:
    """The number of the trial whose model the study registered (None if unknown)."""
    version = session.get(ModelVersion, row.model_version_id)
    study = ((version.lineage or {}).get("study") or {}) if version is not None else {}
    return study.get("trial")


def _ask(session: Session, row: TuningStudy, study: Any, number_asked: int) -> TuningTrial:
    """Ask Optuna for the next trial and queue its fine-tune job (one transaction)."""
    # tuning/ imports the training recipe (torch): not at import time, so a server
    # with the ONNX backend and no torch starts.
    from open_interpreter.tuning.space import base_value, config_changes, parse_space

    base = FineTuneConfig.build(row.config)
    space = parse_space(row.search["space"], base)
    trial = study.ask()
    baseline = bool(trial.user_attrs.get("baseline"))
    if baseline:
        params = {name: base_value(base, name) for name in space.names}
        config = base
    else:
        params = space.suggest(trial)
        config = base.updated(**config_changes(params))
    trial.set_user_attr("params", params)
    trial.set_user_attr("job_study", row.id)
    planned = math.ceil(config.epochs) if config.max_steps is None else None
    trial.set_user_attr("epochs_planned", planned)
    owner = Caller(actor=f"study {row.id}", key_id=row.owner_key_id, sees_all=True)
    try:
        job = jobs.create_job(
            session,
            model_name=row.model_name,
            config=config.model_dump(mode="json"),
            train_dataset_id=row.train_dataset_id,
            validation_dataset_id=row.validation_dataset_id,
            allow_remote_code=True,  # checked when the study was created
            caller=owner,
            commit=False,
        )
        record = TuningTrial(
            study_id=row.id,
            number=trial.number,
            optuna_trial_id=trial._trial_id,
            job_id=job.id,
            state="running",
            params=params,
            baseline=baseline,
        )
        session.add(record)
        session.commit()
    except BaseException:
        session.rollback()
        study.tell(trial, state=_state("failed"))
        raise
    logger.info("study %s: trial %d queued as job %s", row.id, trial.number, job.id)
    return record


def _settle(session: Session, row: TuningStudy, trials: list[TuningTrial], study: Any) -> None:
    """Tell Optuna how each trial whose job has ended did; record it on the trial."""
    running = {t.job_id: t for t in trials if t.state == "running"}
    if not running:
        return
    ended = session.scalars(
        select(FineTuneJob).where(
            FineTuneJob.id.in_(list(running)), FineTuneJob.status.in_(jobs.FINISHED)
        )
    ).all()
    for job in ended:
        trial = running[job.id]
        session.refresh(trial)
        frozen = study._storage.get_trial(trial.optuna_trial_id)
        scores = frozen.intermediate_values
        last = scores[max(scores)] if scores else None
        if job.status == "succeeded" and last is not None:
            state = "complete"
        elif job.status == "cancelled" and trial.pruned_at is not None:
            state = "pruned"
        else:
            state = "failed" if job.status != "cancelled" else "cancelled"
        _tell(study, trial, state, last)
        trial.state, trial.finished_at = state, utcnow()
        trial.value = finite(last) if state in ("complete", "pruned") else trial.value
    _keep_best(row, trials)
    session.commit()


def _tell(study: Any, trial: TuningTrial, state: str, value: float | None) -> None:
    """Tell Optuna how ``trial`` ended (once: a trial it knows as finished is left)."""
    frozen = study._storage.get_trial(trial.optuna_trial_id)
    if frozen.state.is_finished():
        return
    if state == "complete":
        study.tell(trial.number, value)
    else:
        study.tell(trial.number, state=_state(state))


def _state(state: str) -> Any:
    import optuna

    states = {"pruned": optuna.trial.TrialState.PRUNED}
    return states.get(state, optuna.trial.TrialState.FAIL)


def _keep_best(row: TuningStudy, trials: list[TuningTrial]) -> None:
    best = best_trial(row, trials)
    row.best_trial = best.number if best else None
    row.best_value = finite(best.value) if best else None


def _finish(session: Session, row: TuningStudy, trials: list[TuningTrial]) -> None:
    """End the study: succeeded with a best trial (registered if asked), else failed."""
    best = best_trial(row, trials)
    row.finished_at = utcnow()
    _drop_other_models(trials, best)
    if best is None:
        row.status, row.error = "failed", "no trial completed"
        session.commit()
        return
    row.status = "succeeded"
    session.commit()
    logger.info("study %s ended: best trial %d, %s", row.id, best.number, best.value)
    registered = _registered_trial(session, row) if row.model_version_id is not None else None
    if row.register_best and (row.model_version_id is None or registered != best.number):
        owner = Caller(actor=f"study {row.id}", key_id=row.owner_key_id, sees_all=True)
        try:
            _register(session, row, best, owner)
        except Exception as error:  # the study stays succeeded; the register call can retry
            session.rollback()
            row = get_study(session, row.id)
            row.error = f"registering the best model failed: {error}"
            session.commit()


def _drop_other_models(trials: list[TuningTrial], best: TuningTrial | None) -> None:
    """Delete the run directories (model, checkpoints) of every trial but the best."""
    for trial in trials:
        ended = trial.state != "cancelled"  # a cancelled trial's job may still be stopping
        if ended and (best is None or trial.job_id != best.job_id):
            artifacts.remove(f"jobs/{trial.job_id}/run")


def _register(session: Session, row: TuningStudy, best: TuningTrial, caller: Caller) -> None:
    """Register the best trial's saved model; audited in the same transaction."""
    run_dir = artifacts.resolve(f"jobs/{best.job_id}/run")
    if not (run_dir / registry.MANIFEST).is_file():
        raise ConflictError(
            f"the model of study {row.id}'s best trial (job {best.job_id}) is no longer saved"
        )
    job = jobs.get_job(session, best.job_id)
    for attempt in range(1, registry.RETRIES + 1):
        try:
            version = registry.register_job_run(
                session,
                model_name=row.model_name,
                run_dir=run_dir,
                job_id=best.job_id,
                config=job.config,
                datasets={"train": row.train_dataset_id, "validation": row.validation_dataset_id},
                study={
                    "id": row.id,
                    "trial": best.number,
                    "params": best.params,
                    "value": best.value,
                },
            )
            audit.record(
                session,
                caller=caller,
                action="study.register",
                target=f"{row.model_name}@{version.version}",
                detail={"study": row.id, "trial": best.number, "value": best.value},
            )
            fresh = session.get(TuningStudy, row.id)
            fresh.model_version_id = version.id
            session.commit()
            return
        except (IntegrityError, OperationalError):
            session.rollback()
            if attempt == registry.RETRIES:
                raise
        except BaseException:
            session.rollback()
            raise


def _lock(session: Session, study_id: str) -> bool:
    """Take the study's row for advancing it (for :data:`LOCK_S` at most)."""
    now = utcnow()
    free = or_(TuningStudy.advancing_until.is_(None), TuningStudy.advancing_until < now)
    try:
        taken = session.execute(
            update(TuningStudy)
            .where(TuningStudy.id == study_id, free)
            .values(advancing_until=now + timedelta(seconds=LOCK_S))
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except OperationalError:  # SQLite busy: another caller is writing; try later
        session.rollback()
        return False
    return taken.rowcount == 1


def _unlock(session: Session, study_id: str) -> None:
    session.rollback()
    session.execute(
        update(TuningStudy)
        .where(TuningStudy.id == study_id)
        .values(advancing_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _dataset(session: Session, field: str, dataset_id: str, caller: Caller) -> Dataset:
    dataset = session.get(Dataset, dataset_id) if jobs._is_id(dataset_id) else None
    if dataset is None or not caller.may_see(dataset.owner_key_id):
        raise NotFoundError(f"{field}: no dataset with id {dataset_id!r}")
    return dataset


def _task_of(base: FineTuneConfig, train: Dataset) -> str:
    """The task the trials train: the config's, else the training data's shape."""
    if base.task != "auto":
        return base.task
    return "token-classification" if train.shape == "tokens" else "sequence-classification"
