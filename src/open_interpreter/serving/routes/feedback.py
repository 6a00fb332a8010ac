"""Continual learning in serving: feedback on a model's predictions, its drift, and its
retraining policy (see docs/continual.md).

- ``POST /v1/models/{name}/feedback`` (predict keys): a batch of labelled examples,
  checked against the model's labels (422 naming unknown ones), stored with the version
  that served them; may queue the policy's continue job.
- ``GET /v1/models/{name}/feedback`` (predict keys): the caller's own feedback, every
  client's for an admin key.
- ``GET /v1/models/{name}/drift`` (predict keys): the served version's drift window
  against its baseline, and its recorded drift events.
- ``POST`` / ``GET /v1/models/{name}/retraining-policy`` (train keys / predict keys).
- ``GET /v1/models/{name}/continual-report`` (predict keys): a version's score matrix,
  forgetting and backward transfer, and its gate decision.
- ``POST /v1/models/{name}/continue`` (train keys): queue a continue job on a stored
  dataset, checked first (202 with the job).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from open_interpreter.continual.settings import Strategy
from open_interpreter.errors import DataError, LabelError
from open_interpreter.services import continual_feedback as feedback
from open_interpreter.services import continual_jobs
from open_interpreter.services import continual_policy as policies
from open_interpreter.services.continual_tables import DriftEvent
from open_interpreter.serving.deps import (
    PageDep,
    PredictKey,
    SessionDep,
    StateDep,
    TrainCaller,
    caller_of,
)
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import FineTunePublic, accepted_job

router = APIRouter(prefix="/models", tags=["continual"])

MAX_FEEDBACK_ITEMS = 100
MAX_SETTINGS = 64
Word = Annotated[str, Field(max_length=200)]


class FeedbackItem(BaseModel):
    """One labelled example: ``{text, label}`` for a text classifier, ``{text, tags}`` (one
    tag per whitespace-separated word) or ``{tokens, tags}`` for NER."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=feedback.MAX_TEXT_CHARS)
    tokens: list[Word] | None = Field(None, max_length=feedback.MAX_WORDS)
    label: Word | None = None
    tags: list[Word] | None = Field(None, max_length=feedback.MAX_WORDS)
    predicted: Word | list[Word] | None = Field(
        None, max_length=feedback.MAX_WORDS, description="What the model predicted."
    )
    version: int | None = Field(None, gt=0, description="The version that predicted it.")


class FeedbackCreate(BaseModel):
    """A batch of feedback."""

    model_config = ConfigDict(extra="forbid")

    items: list[FeedbackItem] = Field(min_length=1, max_length=MAX_FEEDBACK_ITEMS)


class PolicyCreate(BaseModel):
    """When to queue a continue job on the feedback, and how it trains."""

    model_config = ConfigDict(extra="forbid")

    after_feedback: int | None = Field(
        None, ge=1, le=1_000_000, description="Queue after this many new feedback rows."
    )
    on_drift: bool = Field(False, description="Queue when the served version drifts.")
    min_feedback: int = Field(
        1, ge=1, le=1_000_000, description="New feedback rows a drift trigger needs."
    )
    strategy: Strategy = "replay"
    margin: float = Field(0.01, ge=0.0, le=1.0, description="The gate's margin.")
    settings: dict[str, Any] = Field(
        default_factory=dict,
        max_length=MAX_SETTINGS,
        description="Continual and fine-tuning settings (epochs...).",
    )


class ContinueCreate(BaseModel):
    """Continue a registered model on a stored dataset (``POST /v1/datasets`` first)."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(max_length=32, description="The new training data.")
    validation_dataset_id: str | None = Field(
        None, max_length=32, description="This step's evaluation set (default: 20% held out)."
    )
    strategy: Strategy = "replay"
    margin: float = Field(0.01, ge=0.0, le=1.0, description="The gate's margin.")
    task_name: str | None = Field(
        None, min_length=1, max_length=continual_jobs.MAX_TASK_NAME, description="In the report."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        max_length=MAX_SETTINGS,
        description="Continual and fine-tuning settings (epochs, replay_size, label_map...).",
    )


@router.post("/{name}/feedback", status_code=201)
async def post_feedback(
    name: str, body: FeedbackCreate, request: Request, state: StateDep, key: PredictKey
) -> dict[str, Any]:
    """Store labelled examples for ``name`` (checked against its labels); the policy may
    queue a continue job (``queued_job``)."""
    by_version: dict[int, list[dict[str, Any]]] = {}
    read: dict[int | None, tuple[int, str, list[str]]] = {}  # each version's labels once
    for number, item in enumerate(body.items):
        if item.version not in read:
            version, path = await state.versions.resolve(name, item.version, None)
            read[item.version] = (version, *await run_in_threadpool(feedback.model_labels, path))
        version, task, labels = read[item.version]
        raw = item.model_dump(exclude={"version"})
        try:
            (row,) = feedback.checked_rows([raw], task=task, labels=labels)
        except LabelError as exc:
            raise Problem(422, "unknown_label", f"items.{number}: {exc}") from None
        except DataError as exc:
            detail = str(exc).replace("item 0", f"items.{number}")
            raise Problem(422, "validation_error", detail) from None
        by_version.setdefault(version, []).append(row)
    caller = caller_of(request, key)

    def store() -> dict[str, Any]:
        with state.db.session() as session:
            ids = []
            for version, rows in by_version.items():
                stored = feedback.add_feedback(
                    session, model_name=name, version=version, rows=rows, caller=caller
                )
                ids += [row.id for row in stored]
            job = policies.maybe_queue(session, name, drifted=_drifted(state, name))
            return {"stored": len(ids), "ids": ids, "queued_job": job.id if job else None}

    return await run_in_threadpool(store)


def _drifted(state: Any, name: str) -> bool:
    return any(n == name and status.drifted for n, _, status in state.drift.known())


@router.get("/{name}/feedback")
def list_feedback(
    name: str, request: Request, session: SessionDep, page: PageDep, key: PredictKey
) -> dict[str, Any]:
    """A page of ``name``'s feedback, newest first: the caller's own, or all for an admin."""
    rows, total = feedback.list_feedback(
        session, name, limit=page.limit, offset=page.offset, caller=caller_of(request, key)
    )
    return {"data": [feedback.feedback_public(row) for row in rows], "count": total}


@router.get("/{name}/drift")
async def drift(
    name: str,
    state: StateDep,
    _key: PredictKey,
    version: Annotated[int | None, Query(gt=0)] = None,
    observed_only: Annotated[bool, Query(description="Do not load the model.")] = False,
) -> dict[str, Any]:
    """The served version's predictions against its evaluation baseline: PSI of labels and
    confidences, ADWIN detections, whether it is drifted, and its drift events. With
    ``observed_only`` (the dashboard), a version not served since the server started
    answers ``tracked: false`` instead of being loaded."""
    number, path = await state.versions.resolve(name, version, None)
    tracked = state.drift.is_tracked(name, number)
    if observed_only and not tracked:
        return {"model": name, "version": number, "tracked": False}
    loaded = state.cache.loaded_predictor(path) or await run_in_threadpool(
        state.cache.get_predictor, path
    )
    status, source = await state.drift.status(name, number, path, loaded)

    def events() -> list[dict[str, Any]]:
        with state.db.session() as session:
            rows = session.scalars(
                select(DriftEvent)
                .where(DriftEvent.model_name == name, DriftEvent.version == number)
                .order_by(DriftEvent.id.desc())
                .limit(20)
            )
            return [
                {
                    "at": r.created_at.isoformat(),
                    "label_psi": r.label_psi,
                    "confidence_psi": r.confidence_psi,
                    "window": r.window_size,
                    "job_id": r.job_id,
                }
                for r in rows
            ]

    return {
        "model": name,
        "version": number,
        "tracked": True,
        "baseline": source,
        "window_size": state.drift.window,
        "min_window": state.drift.min_window,
        **status.to_dict(),
        "events": await run_in_threadpool(events),
    }


@router.post("/{name}/retraining-policy")
def set_policy(
    name: str, body: PolicyCreate, session: SessionDep, caller: TrainCaller
) -> dict[str, Any]:
    """Set ``name``'s retraining policy (train keys)."""
    policy = policies.set_policy(session, name, caller=caller, **body.model_dump())
    return policies.policy_public(policy)


@router.get("/{name}/retraining-policy")
def get_policy(name: str, session: SessionDep, _key: PredictKey) -> dict[str, Any]:
    """``name``'s retraining policy."""
    return policies.policy_public(policies.get_policy(session, name))


@router.get("/{name}/continual-report")
async def continual_report(
    name: str,
    state: StateDep,
    _key: PredictKey,
    version: Annotated[int | None, Query(gt=0)] = None,
) -> dict[str, Any]:
    """The continual report of ``name``'s production version (or ``version``): the score
    matrix R[i][j], average, backward transfer, forgetting per task, and the gate's
    decision when it was registered behind the gate."""
    from open_interpreter.continual import ContinualState, report_of
    from open_interpreter.errors import NotFoundError
    from open_interpreter.services import registry

    number, path = await state.versions.resolve(name, version, None)

    def read() -> dict[str, Any]:
        record = ContinualState.load(path)
        if record is None or not record.tasks:
            raise NotFoundError(f"{name}@{number} has no continual record")
        with state.db.session() as session:
            lineage = registry.get_version(session, name, number).lineage or {}
        report = report_of(record, name=f"{name}@{number}").to_dict()
        return {**report, "version": number, "gate": lineage.get("continual", {}).get("gate")}

    return await run_in_threadpool(read)


@router.post("/{name}/continue", status_code=202, response_model=FineTunePublic)
def continue_model(
    name: str, body: ContinueCreate, session: SessionDep, caller: TrainCaller
) -> JSONResponse:
    """Queue a continue job of ``name``'s current version on a stored dataset (train keys).

    Checked before anything is queued: the model and datasets exist for the key, the
    strategy fits the version, the settings are valid, the data is of the model's task and
    its labels are not old ones renamed. Answers 202 with the job (``Location:
    /v1/fine-tunes/{id}``); its result is the new version, the gate's decision and the
    continual report.
    """
    job = continual_jobs.queue_continue(
        session,
        name,
        dataset_id=body.dataset_id,
        validation_dataset_id=body.validation_dataset_id,
        strategy=body.strategy,
        margin=body.margin,
        settings=body.settings,
        task_name=body.task_name,
        caller=caller,
    )
    return accepted_job(job)
