"""Stored evaluation reports: a registered model version scored on a stored dataset.

An evaluation belongs to the key that asked for it: given a ``caller`` that is not an
admin key, these functions see that key's evaluations only, and another key's evaluation
is not found (:mod:`~open_interpreter.services.callers`). Deleting a model deletes its
evaluations (:func:`~open_interpreter.services.registry.delete_model`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.errors import NotFoundError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Evaluation


def record_evaluation(
    session: Session,
    *,
    model_name: str,
    version: int,
    dataset_id: str,
    report: dict[str, Any],
    caller: Caller = LOCAL,
) -> Evaluation:
    """Store a report of ``model_name`` version ``version`` on a dataset, as ``caller``'s.

    Example:
        >>> record_evaluation(session, model_name="ner", version=2, dataset_id="ds_3f9a",
        ...                   report=report.to_dict())  # doctest: +SKIP
    """
    row = Evaluation(
        id=artifacts.new_id("ev"),
        model_name=model_name,
        version=version,
        dataset_id=dataset_id,
        report=report,
        owner_key_id=caller.key_id,
    )
    session.add(row)
    session.commit()
    return row


def list_evaluations(
    session: Session,
    *,
    model_name: str | None = None,
    limit: int = 50,
    offset: int = 0,
    caller: Caller = LOCAL,
) -> tuple[list[Evaluation], int]:
    """A page of the evaluations ``caller`` sees (of one model, if named), newest first,
    and how many there are in all."""
    query = caller.owned(select(Evaluation), Evaluation.owner_key_id)
    if model_name:
        query = query.where(Evaluation.model_name == model_name)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def get_evaluation(session: Session, evaluation_id: str, *, caller: Caller = LOCAL) -> Evaluation:
    """The evaluation ``evaluation_id``.

    Raises:
        NotFoundError: No evaluation has that id, or ``caller`` may not see it.
    """
    row = session.get(Evaluation, evaluation_id)
    if row is None or not caller.may_see(row.owner_key_id):
        raise NotFoundError(f"no evaluation {evaluation_id!r}")
    return row
