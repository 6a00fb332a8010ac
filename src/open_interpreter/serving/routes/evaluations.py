"""``/v1/evaluations``: score a registered model version on a stored dataset; keep the report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select

from open_interpreter.services import datasets, registry
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainKey
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import EvaluationCreate, EvaluationPublic, EvaluationsPublic
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Evaluation

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


@router.post("", status_code=201)
async def create_evaluation(
    body: EvaluationCreate, state: StateDep, session: SessionDep, _key: TrainKey
) -> EvaluationPublic:
    """Evaluate a model version (default: production) on a dataset and store the report."""
    version = registry.get_version(session, body.model_name, version=body.version)
    dataset = datasets.get_dataset(session, body.dataset_id)
    if dataset is None:
        raise Problem(404, "not_found", f"no dataset {body.dataset_id!r}")
    examples = await run_in_threadpool(datasets.load_examples, dataset)
    loaded = await run_in_threadpool(state.cache.get, artifacts.resolve(version.path))
    report = await loaded.batcher.run(lambda it: it.evaluate(examples, split=dataset.name))
    row = Evaluation(
        id=artifacts.new_id("ev"),
        model_name=body.model_name,
        version=version.version,
        dataset_id=dataset.id,
        report={**report.to_dict(), "text": str(report)},
    )
    session.add(row)
    session.commit()
    return EvaluationPublic.model_validate(row)


@router.get("")
def list_evaluations(
    session: SessionDep,
    _key: TrainKey,
    page: PageDep,
    model_name: str | None = None,
) -> EvaluationsPublic:
    """Stored evaluations, newest first."""
    query = select(Evaluation)
    if model_name:
        query = query.where(Evaluation.model_name == model_name)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Evaluation.created_at.desc()).limit(page.limit).offset(page.offset)
    ).all()
    return EvaluationsPublic(data=[EvaluationPublic.model_validate(r) for r in rows], count=total)


@router.get("/{evaluation_id}")
def get_evaluation(evaluation_id: str, session: SessionDep, _key: TrainKey) -> EvaluationPublic:
    """One stored evaluation."""
    row = session.get(Evaluation, evaluation_id)
    if row is None:
        raise Problem(404, "not_found", f"no evaluation {evaluation_id!r}")
    return EvaluationPublic.model_validate(row)
