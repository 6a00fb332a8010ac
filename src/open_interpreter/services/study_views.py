"""What the API and the dashboard show of a study run as jobs: its settings, its trials
with their jobs and per-epoch scores, the best trial and the parameter importances."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from open_interpreter.services.study_tables import TuningStudy
from open_interpreter.services.study_trials import best_trial, finite, optuna_study, trials_of
from open_interpreter.storage.tables import FineTuneJob

logger = logging.getLogger(__name__)


def study_view(
    session: Session, row: TuningStudy, database_url: str, *, detail: bool = True
) -> dict[str, Any]:
    """Everything the API and the dashboard show of a study: its settings, its trials
    (state, params, score, epochs, pruned at, seconds, job, per-epoch scores), the best
    trial and the parameter importances.

    Args:
        session: A database session.
        row: The study.
        database_url: The platform database's URL (Optuna's tables are beside it).
        detail: Read Optuna's record too: per-epoch scores, epochs planned, importances
            (False for lists: the platform's rows only).
    """
    from open_interpreter.tuning.study import _importances

    trials = trials_of(session, row.id)
    job_ids = [t.job_id for t in trials]
    job_rows = session.scalars(select(FineTuneJob).where(FineTuneJob.id.in_(job_ids))).all()
    job_of = {job.id: job for job in job_rows}
    frozen: dict[int, Any] = {}
    importances: dict[str, float] = {}
    try:
        with optuna_study(row, database_url) if detail else _nothing() as study:
            if study is not None:
                frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
                importances = _importances(study, list(row.search["space"]))
    except Exception as error:  # Optuna's tables unreachable: the platform's rows still tell
        logger.warning("study %s: Optuna's record unreadable: %s", row.id, error)
    out = []
    for trial in trials:
        job = job_of.get(trial.job_id)
        optuna_trial = frozen.get(trial.number)
        scores = dict(sorted(optuna_trial.intermediate_values.items())) if optuna_trial else {}
        epochs_planned = optuna_trial.user_attrs.get("epochs_planned") if optuna_trial else None
        seconds = None
        if job is not None and job.started_at and job.finished_at:
            seconds = round((job.finished_at - job.started_at).total_seconds(), 2)
        value = trial.value
        if value is None and scores:
            value = scores[max(scores)]
        out.append(
            {
                "number": trial.number,
                "state": trial.state,
                "params": trial.params,
                "baseline": trial.baseline,
                "value": finite(value),
                "epoch_scores": {str(k): finite(v) for k, v in scores.items()},
                "epochs_run": len(scores),
                "epochs_planned": epochs_planned,
                "pruned_at": trial.pruned_at,
                "seconds": seconds,
                "job_id": trial.job_id,
                "job_status": job.status if job is not None else None,
                "error": job.error if job is not None and trial.state == "failed" else None,
            }
        )
    baseline = next((t for t in trials if t.baseline and t.state == "complete"), None)
    best = best_trial(row, trials)
    return {
        "id": row.id,
        "name": row.search.get("name"),
        "status": row.status,
        "model_name": row.model_name,
        "task": row.task,
        "base_model": row.config.get("model"),
        "metric": row.search["metric"],
        "direction": row.search["direction"],
        "n_trials": row.search["n_trials"],
        "parallel": row.search["parallel"],
        "pruner": row.search["pruner"],
        "sampler": row.search["sampler"],
        "timeout": row.search.get("timeout"),
        "space": row.search["space"],
        "register_best": row.register_best,
        "train_dataset_id": row.train_dataset_id,
        "validation_dataset_id": row.validation_dataset_id,
        "best_trial": best.number if best else None,
        "best_value": finite(best.value) if best else None,
        "best_params": best.params if best else None,
        "baseline_value": finite(baseline.value) if baseline else None,
        "importances": importances,
        "model_version_id": row.model_version_id,
        "epochs_run": sum(t["epochs_run"] for t in out),
        "epochs_planned": sum(t["epochs_planned"] or 0 for t in out),
        "error": row.error,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "trials": out,
    }


@contextmanager
def _nothing() -> Iterator[None]:
    yield None
