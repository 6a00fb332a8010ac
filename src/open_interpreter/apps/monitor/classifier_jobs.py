"""Queue the training of a monitor's sentiment or topic classifier (a job of kind
``monitor-classifier``, run by :mod:`open_interpreter.apps.monitor.training`): the one
path ``POST /v1/monitors/{id}/classifiers`` and ``oi monitor train-classifier`` share.

Everything is checked before the job row is written: the monitor (a dictionary monitor
takes no topic classifier), each dataset (visible to the caller, texts whose labels the
classifier can learn), the registry name and the settings over the monitor's recipe. So a
refused request queues nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from open_interpreter.apps.monitor import training
from open_interpreter.apps.monitor.settings import MonitorSettings
from open_interpreter.apps.monitor.tables import MonitorRecord
from open_interpreter.errors import ConflictError, NotFoundError
from open_interpreter.services import datasets, jobs
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.registry import validate_model_name
from open_interpreter.storage.tables import FineTuneJob


def default_model_name(monitor_name: str, classifier: str) -> str:
    """The registry name a classifier is registered under unless one is given."""
    return f"{monitor_name}-{classifier}"[:100]


def check_request(
    session: Session,
    record: MonitorRecord,
    classifier: str,
    *,
    dataset_ids: list[str | None],
    model_name: str | None = None,
    settings: dict[str, Any] | None = None,
    caller: Caller = LOCAL,
) -> dict[str, Any]:
    """Check a classifier training of ``record`` before anything is stored; the job's
    config.

    Raises:
        ConflictError: A topic classifier for a monitor using the dictionary.
        NotFoundError: A dataset the caller does not see.
        DataError: A dataset that is not texts with labels the classifier can learn.
        ConfigError: A bad classifier, registry name or setting.
    """
    config = training.check(
        {"monitor_id": record.id, "classifier": classifier, "settings": settings or {}}
    )
    if classifier == "topic" and MonitorSettings(**record.settings).sentiment == "lexicon":
        raise ConflictError(
            "a monitor with sentiment 'lexicon' classifies no topics: train its sentiment "
            "classifier first"
        )
    validate_model_name(model_name or default_model_name(record.name, classifier))
    for dataset_id in dataset_ids:
        if dataset_id is None:
            continue
        found = datasets.get_dataset(session, dataset_id, caller=caller)
        if found is None:
            raise NotFoundError(f"no dataset with id {dataset_id[:40]!r}")
        training.check_labels(classifier, found.labels, found.shape)
    return config


def queue_classifier_training(
    session: Session,
    record: MonitorRecord,
    classifier: str,
    *,
    train_dataset_id: str,
    validation_dataset_id: str | None = None,
    test_dataset_id: str | None = None,
    model_name: str | None = None,
    settings: dict[str, Any] | None = None,
    caller: Caller = LOCAL,
) -> FineTuneJob:
    """Queue the training of ``record``'s ``classifier`` (``sentiment`` or ``topic``) on
    stored datasets; when it succeeds the classifier is registered as the next version of
    ``model_name`` (default ``<monitor>-<classifier>``) and the monitor uses it.

    Raises:
        ConflictError, NotFoundError, DataError, ConfigError: As :func:`check_request`;
            nothing is queued then.

    Example:
        >>> job = queue_classifier_training(session, record, "sentiment",
        ...                                 train_dataset_id="ds_3f9a")  # doctest: +SKIP
    """
    ids = [train_dataset_id, validation_dataset_id, test_dataset_id]
    config = check_request(
        session,
        record,
        classifier,
        dataset_ids=ids,
        model_name=model_name,
        settings=settings,
        caller=caller,
    )
    return jobs.create_job(
        session,
        model_name=model_name or default_model_name(record.name, classifier),
        config=config,
        train_dataset_id=train_dataset_id,
        validation_dataset_id=validation_dataset_id,
        test_dataset_id=test_dataset_id,
        caller=caller,
        kind=training.KIND,
    )
