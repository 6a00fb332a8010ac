"""Training a monitor's sentiment or topic classifier as a queued job (kind
``monitor-classifier``).

``POST /v1/monitors/{id}/classifiers`` queues one on a stored dataset (texts and labels);
a worker runs it in its child process: the monitor's own recipe
(:func:`~open_interpreter.apps.monitor.classifiers.recipe_config`, CPU-sized, with the
job's ``settings`` over it) fine-tunes the base model with the platform's fine-tuning
(checkpoints, step and evaluation events, resumed after a crash), the result is
registered as the next version of the job's model, and the monitor is pointed at that
version (its ``sentiment_model`` or ``topic_model``; a sentiment classifier also switches
a dictionary monitor to ``sentiment: model``) in the same transaction. The server's
monitor picks the new classifier up with its next batch.

Config: ``{"monitor_id": "mon_…", "classifier": "sentiment", "settings": {"epochs": 3}}``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from open_interpreter.apps.monitor.classifiers import (
    SENTIMENT_LABELS,
    TrainingSizes,
    recipe_config,
)
from open_interpreter.apps.monitor.settings import MonitorSettings
from open_interpreter.apps.monitor.tables import MonitorRecord
from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError, DataError, NotFoundError
from open_interpreter.services.job_kinds import JobContext, JobKind, LeaseLost
from open_interpreter.services.names import MODEL_PATTERN, looks_like_a_path

KIND = "monitor-classifier"
CLASSIFIERS = ("sentiment", "topic")
SETTINGS = (
    "model",
    "epochs",
    "max_steps",
    "learning_rate",
    "batch_size",
    "max_length",
    "freeze",
    "trainable_top_layers",
    "warmup_ratio",
    "weight_decay",
    "seed",
    "num_threads",
)
"""The fine-tuning settings a job may change from the monitor's recipe."""
_MONITOR_ID = re.compile(r"[A-Za-z0-9_]{1,32}")


def fine_tune_config(
    classifier: str, settings: dict[str, Any], output_dir: Path | None = None
) -> FineTuneConfig:
    """The monitor's recipe for ``classifier`` with ``settings`` over it.

    Raises:
        ConfigError: A setting that is unknown, invalid, or names a path on the server.
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"unknown settings {unknown}; a job may set {list(SETTINGS)}")
    labels = SENTIMENT_LABELS if classifier == "sentiment" else None
    config = recipe_config(TrainingSizes(), output_dir, labels).updated(**settings)
    if looks_like_a_path(config.model) or not re.fullmatch(MODEL_PATTERN, config.model):
        raise ConfigError(
            f"model={config.model[:200]!r}: a job's base model is a catalogue alias, a "
            "model-store name or a Hub id (org/name), never a path on the server"
        )
    return config


def check(config: dict[str, Any]) -> dict[str, Any]:
    """A monitor-classifier job's config, validated: ``monitor_id``, ``classifier``
    (``sentiment`` or ``topic``) and ``settings`` (see :data:`SETTINGS`).

    Raises:
        ConfigError: A missing or bad field.
    """
    unknown = sorted(set(config) - {"monitor_id", "classifier", "settings"})
    if unknown:
        raise ConfigError(f"unknown monitor-classifier job fields {unknown}")
    monitor_id = config.get("monitor_id")
    if not isinstance(monitor_id, str) or not _MONITOR_ID.fullmatch(monitor_id):
        raise ConfigError(f"monitor_id must be a monitor's id, got {str(monitor_id)[:40]!r}")
    classifier = config.get("classifier")
    if classifier not in CLASSIFIERS:
        raise ConfigError(f"classifier must be one of {list(CLASSIFIERS)}, got {classifier!r}")
    settings = config.get("settings") or {}
    if not isinstance(settings, dict):
        raise ConfigError(f"settings must be a mapping, got {type(settings).__name__}")
    fine_tune_config(classifier, settings)
    return {"monitor_id": monitor_id, "classifier": classifier, "settings": dict(settings)}


def check_labels(classifier: str, labels: list[Any], shape: str = "texts") -> None:
    """Refuse a dataset the classifier cannot learn from.

    Raises:
        DataError: Not texts with labels; for sentiment, labels other than negative,
            neutral and positive, or without both negative and positive; for topics,
            fewer than two labels.
    """
    found = sorted({str(label) for label in labels})
    if shape != "texts" or not found:
        raise DataError("the classifier learns from texts with labels: this dataset has none")
    if classifier == "sentiment":
        odd = sorted(set(found) - set(SENTIMENT_LABELS))
        if odd or not {"negative", "positive"} <= set(found):
            raise DataError(
                f"sentiment labels are {SENTIMENT_LABELS} with negative and positive "
                f"present, got {found[:10]}"
            )
    elif len(found) < 2:
        raise DataError(f"a topic classifier needs at least two topics, got {found}")


def reference_field(classifier: str) -> str:
    """The monitor setting naming the registered ``classifier``."""
    return f"{classifier}_model"


def run(ctx: JobContext) -> dict[str, Any]:
    """Fine-tune, register and point the monitor at the classifier a job describes."""
    from open_interpreter.services.datasets import load_examples
    from open_interpreter.storage.tables import Dataset, ModelVersion

    job, config = ctx.job, ctx.job.config
    classifier = config["classifier"]
    with ctx.db.session() as session:
        done = session.scalars(select(ModelVersion).where(ModelVersion.job_id == job.id)).first()
        if done is not None:  # registered by an earlier attempt that died before finishing
            ctx.log(f"version {done.version} was registered by an earlier attempt")
            return _point(ctx, done.model_name, done.version, done.id)
        if session.get(MonitorRecord, config["monitor_id"]) is None:
            raise NotFoundError("the job's monitor was deleted")
        ids = {
            "train": job.train_dataset_id,
            "validation": job.validation_dataset_id,
            "test": job.test_dataset_id,
        }
        rows = {split: session.get(Dataset, i) for split, i in ids.items() if i is not None}
        session.expunge_all()
    missing = [split for split, row in rows.items() if row is None]
    if missing or "train" not in rows:
        raise NotFoundError(f"the job's {', '.join(missing) or 'train'} dataset was deleted")
    for row in rows.values():
        check_labels(classifier, row.labels, row.shape)
    examples = {split: load_examples(row) for split, row in rows.items()}
    ctx.log(
        f"fine-tuning the monitor's {classifier} classifier on "
        f"{len(examples['train'])} examples of {rows['train'].name}"
    )
    _fine_tune(ctx, fine_tune_config(classifier, config["settings"]), examples)
    ctx.check_cancelled()
    version = _register(ctx, rows)
    return _point(ctx, job.model_name, version.version, version.id)


def _fine_tune(ctx: JobContext, config: FineTuneConfig, examples: dict[str, Any]) -> None:
    """Fine-tune into the job's run folder with checkpoints and events, resuming from
    the newest checkpoint an earlier attempt left (nothing to do if it finished)."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.services.job_runner import DEFAULT_CHECKPOINT_EVERY, EventRecorder
    from open_interpreter.services.registry import MANIFEST
    from open_interpreter.training.checkpoint import latest_checkpoint
    from open_interpreter.training.recipe import fine_tune

    if (ctx.run_dir / MANIFEST).is_file():
        ctx.log("training had finished in an earlier attempt; registering its model")
        return
    checkpoint = latest_checkpoint(ctx.run_dir)
    start_step = int(checkpoint.name.split("-")[1]) if checkpoint else 0
    if checkpoint is not None:
        ctx.log(f"resumed from step {start_step}", resumed_from_step=start_step)
    config = config.updated(
        output_dir=str(ctx.run_dir),
        checkpoint_every=DEFAULT_CHECKPOINT_EVERY,
        resume_from=str(checkpoint) if checkpoint else None,
        progress=False,
    )
    fine_tune(
        ModelBundle(model_name=config.model, config=config),
        examples["train"],
        validation_data=examples.get("validation"),
        test_data=examples.get("test"),
        on_event=EventRecorder(ctx.db, ctx.lease, start_step=start_step),
    )


def _register(ctx: JobContext, rows: dict[str, Any]) -> Any:
    """Register the saved classifier and point the monitor at it, in one transaction
    that holds only while the job's lease does."""
    from open_interpreter.services import job_queue, registry

    job = ctx.job
    with ctx.db.session() as session:
        try:
            if not job_queue.lease_holds(session, ctx.lease):
                raise LeaseLost
            version = registry.register_job_run(
                session,
                model_name=job.model_name,
                run_dir=ctx.run_dir,
                job_id=job.id,
                config=job.config,
                datasets=registry.dataset_lineage(rows),
                monitor_id=job.config["monitor_id"],
                classifier=job.config["classifier"],
                attempts=ctx.lease.attempt,
            )
            _set_reference(session, job.config, f"{version.model_name}@{version.version}")
            session.commit()
        except BaseException:
            session.rollback()
            raise
        session.expunge(version)
    ctx.log(f"registered {version.model_name}@{version.version}")
    return version


def _set_reference(session: Any, config: dict[str, Any], reference: str) -> None:
    record = session.get(MonitorRecord, config["monitor_id"])
    if record is None:
        raise NotFoundError("the job's monitor was deleted")
    changes: dict[str, Any] = {reference_field(config["classifier"]): reference}
    if config["classifier"] == "sentiment":
        changes["sentiment"] = "model"
    record.settings = MonitorSettings(**{**record.settings, **changes}).model_dump(mode="json")


def _point(ctx: JobContext, model_name: str, version: int, version_id: int) -> dict[str, Any]:
    """The job's result, after making sure the monitor names the version."""
    reference = f"{model_name}@{version}"
    with ctx.db.session() as session:
        record = session.get(MonitorRecord, ctx.job.config["monitor_id"])
        field = reference_field(ctx.job.config["classifier"])
        if record is not None and record.settings.get(field) != reference:
            _set_reference(session, ctx.job.config, reference)
            session.commit()
        from open_interpreter.storage.tables import ModelVersion

        row = session.get(ModelVersion, version_id)
        metrics = dict(row.metrics or {}) if row is not None else {}
    return {
        "monitor_id": ctx.job.config["monitor_id"],
        "classifier": ctx.job.config["classifier"],
        "model_name": model_name,
        "version": version,
        "model_version_id": version_id,
        "reference": reference,
        "metrics": metrics,
    }


MONITOR_CLASSIFIER_JOB = JobKind(name=KIND, check=check, run=run)
"""The ``monitor-classifier`` job kind (named in ``services.job_kinds.KINDS``)."""
