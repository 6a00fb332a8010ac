"""``/v1/datasets``: upload (validated, with a preview), list, get, delete.

A dataset belongs to the key that uploaded it; a key below ``admin`` sees only its own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from open_interpreter.services import datasets as service
from open_interpreter.services.callers import Caller
from open_interpreter.serving.deps import PageDep, SessionDep, StateDep, TrainCaller
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import NAME_PATTERN, DatasetPublic, DatasetsPublic
from open_interpreter.storage.tables import Dataset

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.post("", status_code=201)
def upload_dataset(
    state: StateDep,
    session: SessionDep,
    caller: TrainCaller,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or CoNLL.")],
    name: Annotated[str | None, Form(pattern=NAME_PATTERN)] = None,
    format: Annotated[str | None, Form(description="csv, tsv, jsonl or conll")] = None,
    shape: Annotated[
        Literal["interactions"] | None,
        Form(description="interactions: a user, item[, rating][, time] table"),
    ] = None,
) -> DatasetPublic:
    """Upload a labelled file; it is read in full and refused (400, naming the line) if bad."""
    # A plain def, run in the thread pool: writing, hashing and parsing up to 50 MB must
    # not hold the event loop (and every other request with it).
    limit = state.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "too_large", f"uploads are limited to {limit} bytes")
    filename = file.filename or "upload"
    row = service.store_upload(
        session,
        name=name or _safe_name(filename),
        filename=filename,
        data=data,
        declared_format=format,
        caller=caller,
        shape=shape,
    )
    return DatasetPublic.model_validate(row)


@router.get("")
def list_datasets(session: SessionDep, caller: TrainCaller, page: PageDep) -> DatasetsPublic:
    """The caller's datasets (an admin key's: all), newest first."""
    rows, total = service.list_datasets(
        session, limit=page.limit, offset=page.offset, caller=caller
    )
    return DatasetsPublic(data=[DatasetPublic.model_validate(r) for r in rows], count=total)


@router.get("/{dataset_id}")
def get_dataset(dataset_id: str, session: SessionDep, caller: TrainCaller) -> DatasetPublic:
    """One dataset with its preview."""
    return DatasetPublic.model_validate(_get(session, dataset_id, caller))


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: str, session: SessionDep, caller: TrainCaller) -> None:
    """Delete a dataset that no fine-tune job uses (409 otherwise)."""
    service.delete_dataset(session, _get(session, dataset_id, caller), caller=caller)


def _get(session: SessionDep, dataset_id: str, caller: Caller) -> Dataset:
    row = service.get_dataset(session, dataset_id, caller=caller)
    if row is None:
        raise Problem(404, "not_found", f"no dataset {dataset_id!r}")
    return row


def _safe_name(filename: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in filename)[:100]
    return stem.lstrip("._-") or "dataset"
