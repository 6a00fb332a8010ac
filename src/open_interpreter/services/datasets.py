"""Datasets service: validate an upload, store it as an artifact, read it back.

A dataset belongs to the key that uploaded it: given a ``caller`` that is not an admin key,
these functions see that key's datasets only (:mod:`~open_interpreter.services.callers`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from open_interpreter.data.examples import Examples, TextExamples
from open_interpreter.errors import ConflictError, DataError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset, FineTuneJob

FORMATS = ("csv", "tsv", "jsonl", "conll")
PREVIEW_ROWS = 5
SHAPES: dict[str, Callable[[bytes, str], tuple[int, list[dict[str, Any]]]]] = {}
"""Shapes an application reads itself, e.g. ``interactions`` (``apps.recommend``):
``(data, filename) -> (rows, preview)``, raising DataError that names the line."""


def guess_format(filename: str, declared: str | None) -> str:
    """The upload's format: the declared one, else from the file name's extension.

    Raises:
        DataError: Neither says which of the supported formats it is.
    """
    if declared:
        if declared not in FORMATS:
            raise DataError(f"unknown format {declared!r}; use one of {list(FORMATS)}")
        return declared
    suffix = Path(filename).suffix.lower().lstrip(".")
    guessed = {"json": "jsonl", "ndjson": "jsonl", "txt": "conll"}.get(suffix, suffix)
    if guessed not in FORMATS:
        raise DataError(
            f"cannot tell the format of {filename!r}; pass format= one of {list(FORMATS)}"
        )
    return guessed


def store_upload(
    session: Session,
    *,
    name: str,
    filename: str,
    data: bytes,
    declared_format: str | None,
    caller: Caller = LOCAL,
    shape: str | None = None,
) -> Dataset:
    """Validate ``data`` by reading it fully, then store it and record it as ``caller``'s.

    ``shape`` names one of :data:`SHAPES` (e.g. ``interactions``); by default the file
    holds labelled examples (shape ``texts`` or ``tokens``).

    Raises:
        DataError: The file is empty or malformed (the message names the line), or an
            unknown shape.
    """
    from open_interpreter.data.readers import read_file

    if shape is not None and shape not in SHAPES:
        raise DataError(f"unknown shape {shape[:40]!r}; use one of {sorted(SHAPES)}")
    fmt = guess_format(filename, declared_format)
    dataset_id = artifacts.new_id("ds")
    relative = f"datasets/{dataset_id}.{fmt}"
    if shape is not None:
        rows, preview = SHAPES[shape](data, f"{Path(filename).stem}.{fmt}")
        labels: list[Any] = []
    path = artifacts.write_temporary(relative, data)  # named once its row is in
    if shape is None:
        try:
            examples = read_file(path, format=fmt)
        except DataError as exc:
            path.unlink()
            raise DataError(str(exc).replace(str(path), filename)) from None
        shape = "texts" if isinstance(examples, TextExamples) else "tokens"
        rows, labels, preview = len(examples), _labels(examples), _preview(examples)
    row = Dataset(
        id=dataset_id,
        name=name,
        format=fmt,
        shape=shape,
        num_examples=rows,
        labels=labels,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        path=relative,
        preview=preview,
        owner_key_id=caller.key_id,
    )
    session.add(row)
    try:
        session.flush()
    except BaseException:
        path.unlink()
        raise
    artifacts.place(path, relative)
    session.commit()
    return row


def load_examples(dataset: Dataset) -> Examples:
    """Read a stored dataset back as examples.

    Raises:
        DataError: The dataset holds another shape (e.g. interactions), not examples.
    """
    from open_interpreter.data.readers import read_file

    if dataset.shape not in ("texts", "tokens"):
        raise DataError(f"dataset {dataset.id} holds {dataset.shape}, not labelled examples")

    examples = read_file(artifacts.resolve(dataset.path), format=dataset.format)
    examples.source = dataset.name
    return examples


def get_dataset(session: Session, dataset_id: str, *, caller: Caller = LOCAL) -> Dataset | None:
    """The dataset with this id, or None (also when it is not one ``caller`` sees)."""
    row = session.get(Dataset, dataset_id)
    return row if row is not None and caller.may_see(row.owner_key_id) else None


def list_datasets(
    session: Session, *, limit: int, offset: int, caller: Caller = LOCAL
) -> tuple[list[Dataset], int]:
    """A page of the datasets ``caller`` sees, newest first, and their total count."""
    query = caller.owned(select(Dataset), Dataset.owner_key_id)
    rows = session.scalars(
        query.order_by(Dataset.created_at.desc()).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(rows), total


def delete_dataset(session: Session, dataset: Dataset, *, caller: Caller = LOCAL) -> None:
    """Delete a dataset's row and file.

    Raises:
        ConflictError: A fine-tune job uses it (named when ``caller`` sees that job).
    """
    used = session.execute(
        select(FineTuneJob.id, FineTuneJob.owner_key_id)
        .where(
            or_(
                FineTuneJob.train_dataset_id == dataset.id,
                FineTuneJob.validation_dataset_id == dataset.id,
                FineTuneJob.test_dataset_id == dataset.id,
            )
        )
        .limit(1)
    ).first()
    if used is not None:
        job = used.id if caller.may_see(used.owner_key_id) else "of another key"
        raise ConflictError(f"dataset {dataset.id} is used by fine-tune job {job}")
    artifacts.remove(dataset.path)
    session.delete(dataset)
    session.commit()


def _labels(examples: Examples) -> list[Any]:
    if isinstance(examples, TextExamples):
        values = examples.labels or []
    else:
        values = [tag for tags in examples.tags or [] for tag in tags]
    return sorted({str(v) for v in values})


def _preview(examples: Examples) -> list[dict[str, Any]]:
    rows = []
    for i in range(min(PREVIEW_ROWS, len(examples))):
        if isinstance(examples, TextExamples):
            row: dict[str, Any] = {"text": examples.texts[i]}
            if examples.text_pairs is not None:
                row["text_pair"] = examples.text_pairs[i]
            if examples.labels is not None:
                row["label"] = examples.labels[i]
        else:
            row = {"tokens": examples.tokens[i]}
            if examples.tags is not None:
                row["tags"] = examples.tags[i]
        rows.append(row)
    return rows
