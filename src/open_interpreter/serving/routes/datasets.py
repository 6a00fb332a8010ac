"""``/v1/datasets``: upload (validated, with a preview), list, get, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import or_, select

from open_interpreter.services import datasets as service
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainKey
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import NAME_PATTERN, DatasetPublic, DatasetsPublic
from open_interpreter.storage.tables import FineTuneJob

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.post("", status_code=201)
async def upload_dataset(
    state: StateDep,
    session: SessionDep,
    _key: TrainKey,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or CoNLL.")],
    name: Annotated[str | None, Form(pattern=NAME_PATTERN)] = None,
    format: Annotated[str | None, Form(description="csv, tsv, jsonl or conll")] = None,
) -> DatasetPublic:
    """Upload a labelled file; it is read in full and refused (400, naming the line) if bad."""
    limit = state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "too_large", f"uploads are limited to {limit} bytes")
    filename = file.filename or "upload"
    row = service.store_upload(
        session,
        name=name or _safe_name(filename),
        filename=filename,
        data=data,
        declared_format=format,
    )
    return DatasetPublic.model_validate(row)


@router.get("")
def list_datasets(session: SessionDep, _key: TrainKey, page: PageDep) -> DatasetsPublic:
    """Datasets, newest first."""
    rows, total = service.list_datasets(session, limit=page.limit, offset=page.offset)
    return DatasetsPublic(data=[DatasetPublic.model_validate(r) for r in rows], count=total)


@router.get("/{dataset_id}")
def get_dataset(dataset_id: str, session: SessionDep, _key: TrainKey) -> DatasetPublic:
    """One dataset with its preview."""
    return DatasetPublic.model_validate(_get(session, dataset_id))


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: str, session: SessionDep, _key: TrainKey) -> None:
    """Delete a dataset that no fine-tune job uses (409 otherwise)."""
    row = _get(session, dataset_id)
    used = session.scalar(
        select(FineTuneJob.id)
        .where(
            or_(
                FineTuneJob.train_dataset_id == dataset_id,
                FineTuneJob.validation_dataset_id == dataset_id,
                FineTuneJob.test_dataset_id == dataset_id,
            )
        )
        .limit(1)
    )
    if used:
        raise Problem(409, "conflict", f"dataset {dataset_id} is used by fine-tune job {used}")
    service.delete_dataset(session, row)


def _get(session: SessionDep, dataset_id: str):
    row = service.get_dataset(session, dataset_id)
    if row is None:
        raise Problem(404, "not_found", f"no dataset {dataset_id!r}")
    return row


def _safe_name(filename: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in filename)[:100]
    return stem.lstrip("._-") or "dataset"
