"""``/v1/studies``: hyperparameter studies over stored datasets, each trial a fine-tune job.

Create a study, list them, read one with its trials, give it more trials, cancel it,
register its best trial's model. A study belongs to the key that created it, as its
trials' jobs do; a key below ``admin`` sees only its own (another key's answers 404).
The work is in :mod:`open_interpreter.services.studies`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from open_interpreter.services import studies
from open_interpreter.services.names import NAME_PATTERN
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainCaller
from open_interpreter.serving.schemas import Page

router = APIRouter(prefix="/studies", tags=["studies"])


class StudySearch(BaseModel):
    """What a study searches and how (the ``search:`` section of an ``oi tune`` file)."""

    model_config = ConfigDict(extra="forbid")

    space: dict[str, Any] | Literal["default"] = Field(
        "default",
        description="Settings to search, each {low, high[, log][, step]} or a list of values; "
        "'default': the task's default space (docs/hpo.md).",
    )
    n_trials: int = Field(20, ge=1, le=1000, description="Trials in all, the baseline included.")
    timeout: float | None = Field(
        None, gt=0, le=30 * 86400, description="Seconds after which no new trial starts."
    )
    metric: str | None = Field(
        None, max_length=40, description="Validation metric; default the task's headline one."
    )
    direction: Literal["maximize", "minimize"] | None = None
    pruner: Literal["hyperband", "median", "none"] = "hyperband"
    sampler: Literal["tpe", "random"] = "tpe"
    baseline: bool = Field(True, description="Trial 0 trains the base settings as they are.")
    name: str | None = Field(None, min_length=1, max_length=120, description="A display name.")


class StudyCreate(BaseModel):
    """A study: base settings, datasets, what to search, and how many trials at once."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(
        pattern=NAME_PATTERN, description="Registry name the best trial's model registers under."
    )
    train_dataset_id: str = Field(max_length=64)
    validation_dataset_id: str | None = Field(
        None, max_length=64, description="Scored after each epoch of each trial (needed)."
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="The base FineTuneConfig every trial starts from."
    )
    search: StudySearch = Field(default_factory=StudySearch)
    parallel: int = Field(
        2, ge=1, le=studies.MAX_PARALLEL, description="Trials training at once (one job each)."
    )
    register_best: bool = Field(
        False, description="Register the best trial's model when the study ends."
    )


class TrialPublic(BaseModel):
    """One trial: the fine-tune job that trains it and how it did."""

    number: int
    state: str = Field(description="running, complete, pruned, failed or cancelled.")
    params: dict[str, Any]
    baseline: bool
    value: float | None = Field(description="Its score (pruned, running: its last epoch's).")
    epoch_scores: dict[str, float | None] = Field(description="Validation score per epoch.")
    epochs_run: int
    epochs_planned: int | None
    pruned_at: int | None = Field(description="The epoch after which it was pruned.")
    seconds: float | None
    job_id: str
    job_status: str | None
    error: str | None


class StudyPublic(BaseModel):
    """A study, its best trial so far, and (read one by id) its trials."""

    id: str
    name: str | None
    status: str = Field(description="running, succeeded, failed or cancelled.")
    model_name: str
    task: str
    base_model: str | None
    metric: str
    direction: str
    n_trials: int
    parallel: int
    pruner: str
    sampler: str
    timeout: float | None
    space: dict[str, Any]
    register_best: bool
    train_dataset_id: str
    validation_dataset_id: str
    best_trial: int | None
    best_value: float | None
    best_params: dict[str, Any] | None
    baseline_value: float | None
    importances: dict[str, float]
    model_version_id: int | None
    epochs_run: int
    epochs_planned: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    trials: list[TrialPublic]


class StudiesPublic(Page):
    """A page of studies (their trials without per-epoch scores; no importances)."""

    data: list[StudyPublic]


@router.post("", status_code=201)
def create_study(
    body: StudyCreate, state: StateDep, session: SessionDep, caller: TrainCaller
) -> StudyPublic:
    """Start a study: its settings are checked (space, metric, budget) before anything is
    queued, then its first ``parallel`` trials are queued as fine-tune jobs."""
    row = studies.create_study(
        session,
        database_url=state.db.url,
        model_name=body.model_name,
        config=body.config,
        train_dataset_id=body.train_dataset_id,
        validation_dataset_id=body.validation_dataset_id,
        search=body.search.model_dump(exclude_none=True),
        parallel=body.parallel,
        register_best=body.register_best,
        allow_remote_code=state.settings.allow_remote_code,
        caller=caller,
    )
    return StudyPublic(**studies.study_view(session, row, state.db.url))


@router.get("")
def list_studies(
    state: StateDep, session: SessionDep, caller: TrainCaller, page: PageDep
) -> StudiesPublic:
    """The caller's studies (an admin key's: all), newest first."""
    rows, total = studies.list_studies(session, limit=page.limit, offset=page.offset, caller=caller)
    views = [studies.study_view(session, row, state.db.url, detail=False) for row in rows]
    return StudiesPublic(data=[StudyPublic(**view) for view in views], count=total)


@router.get("/{study_id}")
def get_study(
    study_id: str, state: StateDep, session: SessionDep, caller: TrainCaller
) -> StudyPublic:
    """One study with its trials, its best trial and the parameter importances."""
    row = studies.get_study(session, study_id, caller=caller)
    return StudyPublic(**studies.study_view(session, row, state.db.url))


@router.post("/{study_id}/cancel")
def cancel_study(
    study_id: str, state: StateDep, session: SessionDep, caller: TrainCaller
) -> StudyPublic:
    """Stop a study: no new trial starts; its queued and running trials are cancelled."""
    row = studies.cancel_study(session, study_id, state.db.url, caller=caller)
    return StudyPublic(**studies.study_view(session, row, state.db.url))


class StudyMoreTrials(BaseModel):
    """More trials for a study (the same space, metric and direction)."""

    model_config = ConfigDict(extra="forbid")

    n_trials: int = Field(ge=1, le=studies.MAX_TRIALS, description="Trials to add.")


@router.post("/{study_id}/trials", status_code=202)
def add_trials(
    study_id: str, body: StudyMoreTrials, state: StateDep, session: SessionDep, caller: TrainCaller
) -> StudyPublic:
    """Give a study more trials: an ended one (succeeded or failed) runs again and the
    workers pick its new trials; 409 for a study cancelled on request or being advanced
    (registering its best model) right now."""
    row = studies.add_trials(session, study_id, state.db.url, body.n_trials, caller=caller)
    return StudyPublic(**studies.study_view(session, row, state.db.url))


@router.post("/{study_id}/register")
def register_study(
    study_id: str, state: StateDep, session: SessionDep, caller: TrainCaller
) -> StudyPublic:
    """Register the best completed trial's model as the next version of the study's
    ``model_name`` (audited as ``study.register``)."""
    row = studies.register_best(session, study_id, caller=caller)
    return StudyPublic(**studies.study_view(session, row, state.db.url))
