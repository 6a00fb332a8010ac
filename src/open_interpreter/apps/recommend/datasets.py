"""Interaction tables as datasets of the platform's datasets service (shape ``interactions``).

``POST /v1/datasets`` with ``shape=interactions`` (or
``services.datasets.store_upload(..., shape="interactions")``) stores a CSV/TSV table of
``user``, ``item`` and optionally ``rating`` and ``time`` — read in full here, a malformed
line refused with its number — and lists it with the other datasets; a recommender
trains from it by ``dataset_id`` (:func:`load_interactions_dataset`). Importing this
module registers the shape with the service (the package imports it).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from open_interpreter.apps.recommend._data import RecommendationData
from open_interpreter.apps.recommend._tables_io import parse_interactions, read_interaction_tables
from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services import datasets as service
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import Dataset

SHAPE = "interactions"
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a stored id; anything else never reaches SQL


def read_upload(data: bytes, filename: str) -> tuple[int, list[dict[str, Any]]]:
    """Check an interactions table in full: ``(rows, preview of the first rows)``.

    Raises:
        DataError: No ``user``/``item`` column, no rows, or a malformed line (its number).
    """
    users, items, ratings, times = parse_interactions(data, filename=filename)
    preview = [
        {"user": u, "item": i, "rating": float(r), "time": float(t)}
        for u, i, r, t in list(zip(users, items, ratings, times, strict=True))[
            : service.PREVIEW_ROWS
        ]
    ]
    return len(users), preview


def interactions_dataset(session: Session, dataset_id: str, *, caller: Caller = LOCAL) -> Dataset:
    """A stored interactions dataset ``caller`` may see.

    Raises:
        NotFoundError: No such dataset (or not ``caller``'s).
        ConfigError: The dataset holds labelled examples, not interactions.
    """
    known = isinstance(dataset_id, str) and ID_PATTERN.fullmatch(dataset_id) is not None
    row = service.get_dataset(session, dataset_id, caller=caller) if known else None
    if row is None:
        raise NotFoundError(f"no dataset {str(dataset_id)[:40]!r}")
    if row.shape != SHAPE:
        raise ConfigError(
            f"dataset {row.id} holds {row.shape}, not interactions "
            "(upload it with shape=interactions)"
        )
    return row


def load_interactions_dataset(
    row: Dataset, items: bytes | None = None, *, items_name: str | None = None
) -> RecommendationData:
    """The interactions of a stored dataset (and the items' text from ``items``, if any)."""
    suffix = f".{row.format}"
    name = row.name if row.name.lower().endswith(suffix) else f"{row.name}{suffix}"
    return read_interaction_tables(
        artifacts.resolve(row.path), items, interactions_name=name, items_name=items_name
    )


service.SHAPES[SHAPE] = read_upload
