"""``POST /v1/monitors/{id}/classifiers``: train a monitor's sentiment or topic classifier
as a job (kind ``monitor-classifier``, :mod:`open_interpreter.apps.monitor.training`).

Answered 202 with the queued job (``GET /v1/fine-tunes/{id}`` and its events follow it);
when it succeeds the classifier is registered as the next version of ``model_name``
(default ``<monitor name>-<classifier>``) and the monitor uses it from its next batch.
Needs a ``train`` key that sees the monitor and the datasets. The checks and the queueing
are :mod:`open_interpreter.apps.monitor.classifier_jobs`' (``oi monitor train-classifier``
goes through them too): a dictionary monitor's topic classifier answers 409, an unseen
dataset 404, labels the classifier cannot learn 400 ``invalid_data``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from open_interpreter.apps.monitor import training
from open_interpreter.apps.monitor.classifier_jobs import queue_classifier_training
from open_interpreter.services.names import NAME_PATTERN
from open_interpreter.serving.deps import SessionDep, TrainCaller
from open_interpreter.serving.routes.monitors import _record
from open_interpreter.serving.schemas import FineTunePublic, accepted_job

router = APIRouter(prefix="/monitors", tags=["monitors"])


class ClassifierTraining(BaseModel):
    """Which classifier to train, on which stored datasets, with which settings."""

    model_config = ConfigDict(extra="forbid")

    classifier: Literal["sentiment", "topic"] = Field(
        description="sentiment (labels negative, neutral, positive) or topic (any labels)."
    )
    train_dataset_id: str = Field(max_length=32, description="Texts with labels.")
    validation_dataset_id: str | None = Field(None, max_length=32)
    test_dataset_id: str | None = Field(None, max_length=32)
    model_name: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Registry name; default <monitor name>-<classifier>.",
    )
    settings: dict[str, int | float | str] = Field(
        default_factory=dict,
        max_length=len(training.SETTINGS),
        description=f"Over the monitor's recipe: {', '.join(training.SETTINGS)}.",
    )


@router.post("/{monitor_id}/classifiers", status_code=202, response_model=FineTunePublic)
def train_classifier(
    monitor_id: str, body: ClassifierTraining, session: SessionDep, caller: TrainCaller
) -> JSONResponse:
    """Queue the training of the monitor's classifier on a stored dataset; the job
    registers it and points the monitor at the new version."""
    record = _record(session, monitor_id, caller)
    job = queue_classifier_training(
        session,
        record,
        body.classifier,
        train_dataset_id=body.train_dataset_id,
        validation_dataset_id=body.validation_dataset_id,
        test_dataset_id=body.test_dataset_id,
        model_name=body.model_name,
        settings=body.settings,
        caller=caller,
    )
    return accepted_job(job)
