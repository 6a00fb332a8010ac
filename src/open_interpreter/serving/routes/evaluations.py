"""``/v1/evaluations``: score a registered model version on a stored dataset; keep the report.

An evaluation belongs to the key that asked for it, and a key below ``admin`` evaluates on
and sees only its own datasets and evaluations (another key's answer 404).
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from open_interpreter.services import datasets, evaluations, registry
from open_interpreter.services.callers import Caller
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainCaller
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import EvaluationCreate, EvaluationPublic, EvaluationsPublic
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset, ModelVersion

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


@router.post("", status_code=201)
async def create_evaluation(
    body: EvaluationCreate, state: StateDep, session: SessionDep, caller: TrainCaller
) -> EvaluationPublic:
    """Evaluate a model version (default: production) on a dataset and store the report."""
    # Every query and file read in a thread: the event loop serves other requests meanwhile.
    version, dataset = await run_in_threadpool(_version_and_dataset, session, body, caller)
    examples = await run_in_threadpool(datasets.load_examples, dataset)
    loaded = await run_in_threadpool(state.cache.get, artifacts.resolve(version.path))
    report = await loaded.batcher.run(lambda it: it.evaluate(examples, split=dataset.name))
    row = await run_in_threadpool(
        partial(
            evaluations.record_evaluation,
            session,
            model_name=body.model_name,
            version=version.version,
            dataset_id=dataset.id,
            report={**report.to_dict(), "text": str(report)},
            caller=caller,
        )
    )
    return EvaluationPublic.model_validate(row)


def _version_and_dataset(
    session: Session, body: EvaluationCreate, caller: Caller
) -> tuple[ModelVersion, Dataset]:
    """The version and dataset ``body`` names. The session gives its connection back
    afterwards: the evaluation may run for minutes and needs none meanwhile."""
    try:
        version = registry.get_version(session, body.model_name, version=body.version)
        dataset = datasets.get_dataset(session, body.dataset_id, caller=caller)
    finally:
        session.close()
    if dataset is None:
        raise Problem(404, "not_found", f"no dataset {body.dataset_id!r}")
    return version, dataset


@router.get("")
def list_evaluations(
    session: SessionDep,
    caller: TrainCaller,
    page: PageDep,
    model_name: str | None = None,
) -> EvaluationsPublic:
    """The caller's stored evaluations (an admin key's: all), newest first."""
    rows, total = evaluations.list_evaluations(
        session, model_name=model_name, limit=page.limit, offset=page.offset, caller=caller
    )
    return EvaluationsPublic(data=[EvaluationPublic.model_validate(r) for r in rows], count=total)


@router.get("/{evaluation_id}")
def get_evaluation(
    evaluation_id: str, session: SessionDep, caller: TrainCaller
) -> EvaluationPublic:
    """One stored evaluation."""
    row = evaluations.get_evaluation(session, evaluation_id, caller=caller)
    return EvaluationPublic.model_validate(row)
