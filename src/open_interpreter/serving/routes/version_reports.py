"""``GET /v1/models/{name}/versions/{version}/report``: a version's full evaluation reports.

A version row holds headline metrics; the saved model's ``metrics.json`` holds everything
its training measured: the reports before fine-tuning, after it and on test data (per
label precision / recall / F1, confusion matrix, entity-level scores for NER), and the
validation metrics of every epoch. This route serves that file with a before/after
comparison added.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from open_interpreter.services import registry
from open_interpreter.serving.deps import PredictKey, SessionDep
from open_interpreter.storage import artifacts

router = APIRouter(prefix="/models", tags=["models"])


class VersionReportPublic(BaseModel):
    """Everything measured while a version was trained."""

    model_name: str
    version: int
    task: str | None = None
    labels: list[Any] = Field(default_factory=list)
    reports: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="before / after (validation, or test without it) / test: each an "
        "evaluation report (accuracy, macro_f1, report per label, confusion_matrix, labels, "
        "entities for NER).",
    )
    comparison: dict[str, dict[str, float]] | None = Field(
        None, description="metric → {before, after, change}, when both reports exist."
    )
    evaluations: list[dict[str, Any]] = Field(
        default_factory=list, description="Validation metrics after each epoch."
    )
    best: dict[str, Any] | None = None
    summary: dict[str, Any] = Field(
        default_factory=dict,
        description="steps, train_seconds, samples_per_second, parameters, data sizes.",
    )


@router.get("/{name}/versions/{version}/report")
def version_report(
    name: str, version: int, session: SessionDep, _key: PredictKey
) -> VersionReportPublic:
    """The reports measured when this version was trained (empty when none were saved)."""
    row = registry.get_version(session, name, version=version)
    model = registry.get_model(session, name)
    file = artifacts.resolve(row.path) / "metrics.json"
    saved: dict[str, Any] = {}
    if file.is_file():
        saved = json.loads(file.read_text(encoding="utf-8"))
    reports = saved.get("reports") or {}
    summary_keys = ("steps", "train_seconds", "samples_per_second", "parameters", "data")
    return VersionReportPublic(
        model_name=name,
        version=version,
        task=saved.get("task") or model.task,
        labels=saved.get("labels") or (row.lineage or {}).get("labels") or [],
        reports=reports,
        comparison=compare_reports(reports.get("before"), reports.get("after")),
        evaluations=saved.get("evaluations") or (row.lineage or {}).get("evaluations") or [],
        best=saved.get("best"),
        summary={key: saved[key] for key in summary_keys if key in saved},
    )


def compare_reports(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, dict[str, float]] | None:
    """``{metric: {before, after, change}}`` for the scalar metrics both reports hold.

    Classification and NER reports are compared as the library does
    (:class:`~open_interpreter.evaluation.BeforeAfter`: entity F1 included); other
    reports (generation) by their common numeric fields.
    """
    if not before or not after:
        return None
    from open_interpreter.errors import OpenInterpreterError
    from open_interpreter.evaluation import BeforeAfter, EvaluationReport

    try:
        pair = BeforeAfter(EvaluationReport.from_dict(before), EvaluationReport.from_dict(after))
        return pair.to_dict()["metrics"]
    except (OpenInterpreterError, KeyError, TypeError, ValueError):
        numbers = {
            key: (before[key], after[key])
            for key in before
            if _is_number(before[key]) and _is_number(after.get(key)) and key != "num_examples"
        }
        return {k: {"before": b, "after": a, "change": a - b} for k, (b, a) in numbers.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
