"""The ``continue`` job kind: continue a registered model on its stored feedback, or on a
stored dataset, behind the champion / challenger gate.

Queued by a retraining policy (:func:`~open_interpreter.services.continual_policy.maybe_queue`)
with the feedback rows it takes (``feedback_after < id <= feedback_until``), or by hand
(:func:`queue_continue`, ``POST /v1/models/{name}/continue``) with a stored dataset, its
training data (the job's ``train_dataset_id``, and ``validation_dataset_id`` if given).
The worker continues the model's current version (production, else the latest) with the
job's strategy (:func:`open_interpreter.continual.continue_training`), registers the result and
promotes it only if it passes the gate
(:func:`~open_interpreter.services.continual.register_continued`); the job's result
says which version it made and why it was or was not promoted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.job_kinds import JobContext, JobKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from open_interpreter.storage.tables import FineTuneJob

_INTS = ("feedback_after", "feedback_until")
DATASET = "dataset"
"""A continue job's ``data`` when it trains on its stored datasets, not on feedback."""
MAX_TASK_NAME = 100


def check(config: dict[str, Any]) -> dict[str, Any]:
    """A continue job's config, validated: ``strategy``, ``margin``, ``settings``, and
    either ``feedback_after`` and ``feedback_until`` (the feedback rows it trains on) or
    ``data: "dataset"`` (its stored datasets, with an optional ``task_name``), and the
    ``trigger`` that queued it.

    Raises:
        ConfigError: A missing or bad field.
    """
    from open_interpreter.services.continual_policy import STRATEGIES, check_settings

    fields = {"strategy", "margin", "settings", "trigger", "data", "task_name", *_INTS}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ConfigError(f"unknown continue-job fields {unknown}")
    if config.get("strategy") not in STRATEGIES:
        raise ConfigError(
            f"strategy must be one of {list(STRATEGIES)}, got {config.get('strategy')!r}"
        )
    common = {
        "strategy": config["strategy"],
        "margin": _margin(config.get("margin", 0.01)),
        "settings": check_settings(dict(config.get("settings") or {})),
        "trigger": str(config.get("trigger", "manual"))[:40],
    }
    if config.get("data") == DATASET:
        if any(name in config for name in _INTS):
            raise ConfigError("a continue job trains on a dataset or on feedback ids, not both")
        task_name = config.get("task_name")
        if task_name is not None and (
            not isinstance(task_name, str) or not 0 < len(task_name) <= MAX_TASK_NAME
        ):
            raise ConfigError(f"task_name must be 1 to {MAX_TASK_NAME} characters")
        return {**common, "data": DATASET, "task_name": task_name}
    if config.get("data", "feedback") != "feedback" or "task_name" in config:
        raise ConfigError("data must be 'dataset' or 'feedback'; task_name goes with a dataset")
    for name in _INTS:
        value = config.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be a feedback id (an integer >= 0), got {value!r}")
    if config["feedback_until"] <= config["feedback_after"]:
        raise ConfigError("feedback_until must be above feedback_after: no feedback to train on")
    return {
        **common,
        "feedback_after": config["feedback_after"],
        "feedback_until": config["feedback_until"],
    }


def _margin(margin: Any) -> float:
    if not isinstance(margin, int | float) or isinstance(margin, bool) or margin < 0:
        raise ConfigError(f"margin must be a number >= 0, got {margin!r}")
    return float(margin)


def queue_continue(
    session: Session,
    model_name: str,
    *,
    dataset_id: str,
    validation_dataset_id: str | None = None,
    strategy: str = "replay",
    margin: float = 0.01,
    settings: dict[str, Any] | None = None,
    task_name: str | None = None,
    caller: Caller = LOCAL,
) -> FineTuneJob:
    """Queue a continue job of ``model_name`` on a stored dataset, checked first.

    Everything a worker would trip on is refused before anything is queued: the model is
    registered, the strategy fits its current version (a continual record for replay and
    EWC, an adapter for lora-per-version), the settings are valid, the datasets exist
    for ``caller`` and hold data of the model's task, with labels that are not old ones
    renamed (``label_map`` in ``settings`` renames them first).

    Raises:
        NotFoundError: The model or a dataset does not exist (or ``caller`` cannot see it).
        ConfigError: A bad strategy, margin or setting, or a strategy the version cannot
            be continued with.
        DataError: A dataset holds data of another task.
        LabelError: A dataset's label is an old one spelled differently.
    """
    from open_interpreter.services import registry
    from open_interpreter.services.continual_policy import check_strategy_fits
    from open_interpreter.services.jobs import create_job

    config = check(
        {
            "strategy": strategy,
            "margin": margin,
            "settings": settings or {},
            "data": DATASET,
            "task_name": task_name,
            "trigger": "manual",
        }
    )
    version = registry.get_version(session, model_name)  # NotFoundError when unregistered
    check_strategy_fits(strategy, model_name, version)
    _check_datasets(session, version, dataset_id, validation_dataset_id, config, caller)
    return create_job(
        session,
        model_name=model_name,
        config=config,
        kind="continue",
        train_dataset_id=dataset_id,
        validation_dataset_id=validation_dataset_id,
        caller=caller,
    )


def _check_datasets(
    session: Session,
    version: Any,
    dataset_id: str,
    validation_dataset_id: str | None,
    config: dict[str, Any],
    caller: Caller,
) -> None:
    """The datasets exist for ``caller`` and fit the version's task and labels."""
    from open_interpreter.bundle.directory import read_manifest
    from open_interpreter.continual.labels import check_same_task, new_labels, relabelled
    from open_interpreter.services import datasets
    from open_interpreter.storage import artifacts
    from open_interpreter.tasks import get_task

    manifest = read_manifest(artifacts.resolve(version.path))
    task, old = get_task(manifest["task"]), list(manifest["labels"])
    label_map = dict(config["settings"].get("label_map") or {})
    for field, dataset_id_ in (
        ("dataset_id", dataset_id),
        ("validation_dataset_id", validation_dataset_id),
    ):
        if dataset_id_ is None:
            continue
        row = datasets.get_dataset(session, dataset_id_, caller=caller)
        if row is None:
            raise NotFoundError(f"{field}: no dataset with id {dataset_id_[:64]!r}")
        examples = relabelled(datasets.load_examples(row), label_map)
        check_same_task(task, examples, f"dataset {row.name!r} ({field})")
        new_labels(old, task.label_set(examples), tags=task.labels_words)


def run(ctx: JobContext) -> dict[str, Any]:
    """Continue the model on its feedback, register the new version behind the gate."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training
    from open_interpreter.services import registry
    from open_interpreter.services.continual import register_continued
    from open_interpreter.services.continual_feedback import feedback_examples
    from open_interpreter.storage import artifacts

    config, name = ctx.job.config, ctx.job.model_name
    validation = None
    with ctx.db.session() as session:
        current = registry.get_version(session, name)
        version, path = current.version, artifacts.resolve(current.path)
        if config.get("data") == DATASET:
            data, validation = _stored_data(session, ctx.job)
            task_name, what = config.get("task_name"), f"dataset {data.source!r}"
        else:
            after, until = config["feedback_after"], config["feedback_until"]
            data = feedback_examples(session, name, after_id=after, until_id=until)
            task_name, what = f"feedback-{after + 1}-{until}", f"feedback ids {after + 1}-{until}"
    ctx.log(
        f"continuing {name}@{version} on {len(data)} examples ({what}) "
        f"with strategy {config['strategy']}"
    )
    bundle = ModelBundle.load(path)
    step = continue_training(
        bundle,
        data,
        validation_data=validation,
        strategy=config["strategy"],
        task_name=task_name,
        output_dir=ctx.run_dir / "model",
        **config["settings"],
    )
    ctx.check_cancelled()
    with ctx.db.session() as session:
        row, decision = register_continued(
            session, model_name=name, path=step.path, margin=config["margin"]
        )
        new_version = row.version
    verdict = "promoted" if decision.promoted else "kept as a challenger"
    ctx.log(f"version {new_version} {verdict}: {'; '.join(decision.reasons)}")
    return {
        "from_version": version,
        "version": new_version,
        "promoted": decision.promoted,
        "gate": decision.to_dict(),
        "examples": len(data),
        "added_labels": step.added_labels,
        "report": step.report.to_dict(),
        "seconds": round(step.seconds, 2),
    }


def _stored_data(session: Session, job: Any) -> tuple[Any, Any]:
    """A dataset continue job's training and validation examples."""
    from open_interpreter.services import datasets

    def load(dataset_id: str | None, field: str) -> Any:
        if dataset_id is None:
            return None
        row = datasets.get_dataset(session, dataset_id)
        if row is None:
            raise NotFoundError(f"{field}: the dataset {dataset_id!r} was deleted")
        return datasets.load_examples(row)

    if job.train_dataset_id is None:
        raise ConfigError("a dataset continue job needs its training dataset")
    return load(job.train_dataset_id, "dataset_id"), load(
        job.validation_dataset_id, "validation_dataset_id"
    )


CONTINUE_JOB = JobKind(name="continue", check=check, run=run)
"""Continue a registered model on its feedback or a dataset (``kind="continue"``)."""
