"""Feedback on a served model: labelled examples clients send back, checked against the
model's labels, stored with the version that served them, and read back as training data
for a continue job (see docs/continual.md).

A text classifier's feedback is ``{text, label}``; an NER model's is ``{text, tags}`` (one
tag per word of the text split on whitespace) or ``{tokens, tags}``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.bundle import read_manifest
from open_interpreter.data.examples import Examples, TextExamples, TokenExamples
from open_interpreter.errors import DataError, LabelError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.continual_tables import Feedback, RetrainingPolicy

MAX_TEXT_CHARS = 5000
MAX_WORDS = 512


def model_labels(path: Path) -> tuple[str, list[str]]:
    """The task name and label set of the saved model in ``path`` (its manifest)."""
    manifest = read_manifest(path)
    return str(manifest.get("task")), [str(label) for label in manifest.get("labels") or []]


def checked_rows(
    items: list[dict[str, Any]], *, task: str, labels: list[str]
) -> list[dict[str, Any]]:
    """The feedback ``items`` as table rows, checked against the model's task and labels.

    Raises:
        DataError: An item has the wrong shape for the task (item numbers from 0).
        LabelError: Labels or tags outside the model's label set (all of them named).
    """
    ner = task == "token-classification"
    rows, unknown = [], Counter[str]()
    for number, item in enumerate(items):
        row = _row(item, ner=ner, where=f"item {number}")
        found = row["tags"] if ner else [row["label"]]
        unknown.update(label for label in found if label not in labels)
        rows.append(row)
    if unknown:
        names = ", ".join(repr(label) for label in sorted(unknown))
        raise LabelError(
            f"unknown label(s) {names}: this model's labels are {labels}. Feedback is "
            "checked against the served model's labels; new labels need a continue job "
            "with their data (oi continue), not feedback"
        )
    return rows


def _row(item: dict[str, Any], *, ner: bool, where: str) -> dict[str, Any]:
    text = item.get("text")
    tokens = item.get("tokens")
    if tokens is not None and text is None:
        text = " ".join(tokens)
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: needs a non-empty 'text'")
    if len(text) > MAX_TEXT_CHARS:
        raise DataError(f"{where}: text longer than {MAX_TEXT_CHARS} characters")
    base = {"text": text, "predicted": item.get("predicted"), "tokens": None}
    if not ner:
        if item.get("tags") is not None or item.get("label") is None:
            raise DataError(f"{where}: a text classifier's feedback is {{text, label}}")
        return {**base, "label": str(item["label"]), "tags": None}
    tags = item.get("tags")
    if item.get("label") is not None or not isinstance(tags, list) or not tags:
        raise DataError(f"{where}: an NER model's feedback is {{text, tags}} or {{tokens, tags}}")
    words = list(tokens) if tokens is not None else text.split()
    if len(words) != len(tags) or len(words) > MAX_WORDS:
        raise DataError(
            f"{where}: {len(tags)} tags for {len(words)} words (one tag per word of the "
            f"text split on whitespace, at most {MAX_WORDS})"
        )
    return {**base, "tokens": [str(w) for w in words], "label": None, "tags": list(map(str, tags))}


def add_feedback(
    session: Session,
    *,
    model_name: str,
    version: int,
    rows: list[dict[str, Any]],
    caller: Caller = LOCAL,
) -> list[Feedback]:
    """Store checked feedback rows (:func:`checked_rows`) for ``model_name`` at ``version``."""
    stored = [
        Feedback(model_name=model_name, version=version, owner_key_id=caller.key_id, **row)
        for row in rows
    ]
    session.add_all(stored)
    session.commit()
    return stored


def list_feedback(
    session: Session,
    model_name: str,
    *,
    limit: int = 50,
    offset: int = 0,
    caller: Caller = LOCAL,
) -> tuple[list[Feedback], int]:
    """A page of ``model_name``'s feedback ``caller`` sees (its own, or all for an admin),
    newest first, and how many there are."""
    query = caller.owned(
        select(Feedback).where(Feedback.model_name == model_name), Feedback.owner_key_id
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Feedback.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def feedback_counts(session: Session, model_name: str) -> dict[str, Any]:
    """How much feedback ``model_name`` has: in all, per version, per label (tags: per
    entity type), and how much no continue job has taken yet."""
    rows = session.execute(
        select(Feedback.version, Feedback.label, Feedback.tags, Feedback.id).where(
            Feedback.model_name == model_name
        )
    ).all()
    policy = session.get(RetrainingPolicy, model_name)
    used = policy.feedback_used_until if policy is not None else 0
    labels: Counter[str] = Counter()
    for row in rows:
        if row.label is not None:
            labels[row.label] += 1
        for tag in row.tags or []:
            if tag.startswith("B-"):
                labels[tag[2:]] += 1
    return {
        "model": model_name,
        "total": len(rows),
        "new": sum(1 for row in rows if row.id > used),
        "per_version": dict(sorted(Counter(str(row.version) for row in rows).items())),
        "per_label": dict(sorted(labels.items())),
    }


def new_feedback(session: Session, model_name: str, after_id: int) -> tuple[int, int]:
    """How many feedback rows of ``model_name`` came after ``after_id``, and the last id."""
    count, last = session.execute(
        select(func.count(Feedback.id), func.max(Feedback.id)).where(
            Feedback.model_name == model_name, Feedback.id > after_id
        )
    ).one()
    return int(count or 0), int(last or after_id)


def feedback_examples(
    session: Session, model_name: str, *, after_id: int, until_id: int
) -> Examples:
    """The feedback rows ``after_id < id <= until_id`` as training examples.

    Raises:
        DataError: There are none.
    """
    rows = list(
        session.scalars(
            select(Feedback)
            .where(
                Feedback.model_name == model_name,
                Feedback.id > after_id,
                Feedback.id <= until_id,
            )
            .order_by(Feedback.id)
        )
    )
    if not rows:
        raise DataError(f"no feedback for {model_name!r} between ids {after_id} and {until_id}")
    source = f"feedback {after_id + 1}-{until_id} of {model_name}"
    if rows[0].tags is not None:
        return TokenExamples(
            tokens=[list(r.tokens or []) for r in rows],
            tags=[list(r.tags or []) for r in rows],
            source=source,
        )
    return TextExamples(texts=[r.text for r in rows], labels=[r.label for r in rows], source=source)


def feedback_public(row: Feedback) -> dict[str, Any]:
    """A feedback row as the API shows it."""
    return {
        "id": row.id,
        "model": row.model_name,
        "version": row.version,
        "text": row.text,
        "label": row.label,
        "tokens": row.tokens,
        "tags": row.tags,
        "predicted": row.predicted,
        "created_at": row.created_at.isoformat(),
    }
