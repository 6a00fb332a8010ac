"""A registered model's retraining policy, and the trigger that queues its continue job.

A policy says when (``after_feedback`` new feedback rows, and/or ``on_drift`` once the
served version drifts with at least ``min_feedback`` new rows) and how (``strategy``,
the gate's ``margin``, other continual / fine-tuning ``settings``). When it fires,
:func:`maybe_queue` queues exactly one job of kind ``continue`` on the new feedback
(:mod:`~open_interpreter.services.continual_jobs`), and no other while that one is queued
or running — also when two triggers race, on SQLite and PostgreSQL alike: the claim is a
conditional update of the policy row (``pending_job_id`` still what was read), which only
one transaction wins; the loser's job is rolled back with it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from open_interpreter.continual import ContinualState
from open_interpreter.continual.settings import ContinualSettings
from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services import registry
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.services.continual_feedback import new_feedback
from open_interpreter.services.continual_tables import DriftEvent, RetrainingPolicy
from open_interpreter.services.jobs import FINISHED, create_job
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import FineTuneJob, utcnow

logger = logging.getLogger(__name__)

CONTINUE = "continue"
STRATEGIES = ("naive", "replay", "ewc", "l2sp", "lora-per-version")
NEEDS_RECORD = ("replay", "ewc")
LORA_PER_VERSION = "lora-per-version"


def set_policy(
    session: Session,
    model_name: str,
    *,
    after_feedback: int | None = None,
    on_drift: bool = False,
    min_feedback: int = 1,
    strategy: str = "replay",
    margin: float = 0.01,
    settings: dict[str, Any] | None = None,
    caller: Caller = LOCAL,
) -> RetrainingPolicy:
    """Create or replace ``model_name``'s retraining policy.

    Raises:
        NotFoundError: ``model_name`` is not registered.
        ConfigError: No trigger, a bad strategy or setting, or a strategy the production
            version cannot be continued with (:func:`check_strategy_fits`: ``replay`` /
            ``ewc`` without a continual record, ``lora-per-version`` on a whole model).
    """
    if after_feedback is None and not on_drift:
        raise ConfigError("a retraining policy needs a trigger: after_feedback N and/or on_drift")
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; use one of {list(STRATEGIES)}")
    if margin < 0 or min_feedback < 1 or (after_feedback is not None and after_feedback < 1):
        raise ConfigError(
            f"need margin >= 0, min_feedback >= 1, after_feedback >= 1, got "
            f"{margin=}, {min_feedback=}, {after_feedback=}"
        )
    settings = check_settings(settings or {})
    version = registry.get_version(session, model_name)  # NotFoundError when unregistered
    check_strategy_fits(strategy, model_name, version)
    policy = session.get(RetrainingPolicy, model_name) or RetrainingPolicy(
        model_name=model_name, feedback_used_until=0
    )
    policy.after_feedback, policy.on_drift, policy.min_feedback = (
        after_feedback,
        on_drift,
        min_feedback,
    )
    policy.strategy, policy.margin, policy.settings = strategy, margin, settings
    policy.owner_key_id, policy.updated_at = caller.key_id, utcnow()
    session.add(policy)
    session.commit()
    return policy


def check_strategy_fits(strategy: str, model_name: str, version: Any) -> None:
    """Refuse a strategy the registered ``version`` cannot be continued with, up front.

    Raises:
        ConfigError: ``replay`` / ``ewc`` on a version without a continual record;
            ``lora-per-version`` on a whole model, or any other strategy on an adapter.
    """
    from open_interpreter.bundle.directory import read_manifest

    path = artifacts.resolve(version.path)
    label = f"{model_name}@{version.version}"
    if strategy in NEEDS_RECORD and ContinualState.load(path) is None:
        raise ConfigError(
            f"strategy {strategy!r} needs the continual record of {label} "
            "(it was not trained with continue_training): use 'naive' or 'l2sp', or continue "
            "it once with its training data (oi continue NAME DATA --previous-data FILE)"
        )
    adapter = read_manifest(path).get("adapter")
    if strategy == LORA_PER_VERSION and (adapter is None or adapter.get("method") != "lora"):
        raise ConfigError(
            f"strategy {strategy!r} trains a new LoRA adapter per version, and {label} is "
            f"{'a ' + adapter['method'] + ' adapter' if adapter else 'a whole model'}: "
            "use naive, replay, ewc or l2sp"
        )
    if adapter is not None and strategy != LORA_PER_VERSION:
        raise ConfigError(f"{label} is an adapter: continue it with strategy {LORA_PER_VERSION!r}")


def check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Continual and fine-tuning settings of a continue job, validated (strategy and
    task name are the policy's own)."""
    from open_interpreter.config import FineTuneConfig, validated
    from open_interpreter.continual.recipe import split_options

    ours, training = split_options(settings)
    for reserved in ("strategy", "task_name", "output_dir", "resume_from"):
        if reserved in settings:
            raise ConfigError(f"settings may not set {reserved!r}: the policy or server does")
    validated(ContinualSettings, ours)
    unknown = sorted(set(training) - set(FineTuneConfig.model_fields))
    if unknown:
        raise ConfigError(f"unknown settings {unknown}: continual or fine-tuning settings only")
    validated(FineTuneConfig, training)  # the values too, before a job trips on them
    return dict(settings)


def get_policy(session: Session, model_name: str) -> RetrainingPolicy:
    """``model_name``'s policy.

    Raises:
        NotFoundError: It has none.
    """
    policy = session.get(RetrainingPolicy, model_name, populate_existing=True)
    if policy is None:
        raise NotFoundError(f"{model_name!r} has no retraining policy")
    return policy


def policy_public(policy: RetrainingPolicy) -> dict[str, Any]:
    """A policy as the API shows it."""
    return {
        "model": policy.model_name,
        "after_feedback": policy.after_feedback,
        "on_drift": policy.on_drift,
        "min_feedback": policy.min_feedback,
        "strategy": policy.strategy,
        "margin": policy.margin,
        "settings": policy.settings,
        "pending_job_id": policy.pending_job_id,
        "feedback_used_until": policy.feedback_used_until,
    }


def maybe_queue(
    session: Session, model_name: str, *, drifted: bool = False, caller: Caller = LOCAL
) -> FineTuneJob | None:
    """Queue ``model_name``'s continue job if its policy fires now; else None.

    It fires on ``after_feedback`` new feedback rows, or (``on_drift``, when ``drifted``)
    on ``min_feedback`` of them, unless the job it queued last is still queued or running.
    Of two calls racing, one queues and the other returns None.
    """
    session.rollback()  # read what is committed now
    policy = session.get(RetrainingPolicy, model_name, populate_existing=True)
    if policy is None or _busy(session, policy.pending_job_id):
        return None
    count, last = new_feedback(session, model_name, policy.feedback_used_until)
    by_feedback = policy.after_feedback is not None and count >= policy.after_feedback
    by_drift = policy.on_drift and drifted and count >= policy.min_feedback
    if not (by_feedback or by_drift):
        return None
    seen, used = policy.pending_job_id, policy.feedback_used_until
    config = {
        "strategy": policy.strategy,
        "margin": policy.margin,
        "settings": policy.settings,
        "feedback_after": used,
        "feedback_until": last,
        "trigger": "feedback" if by_feedback else "drift",
    }
    try:
        job = create_job(
            session,
            model_name=model_name,
            config=config,
            kind=CONTINUE,
            caller=caller,
            commit=False,
        )
        claimed = session.execute(
            update(RetrainingPolicy)
            .where(
                RetrainingPolicy.model_name == model_name,
                RetrainingPolicy.pending_job_id.is_not_distinct_from(seen),
                RetrainingPolicy.feedback_used_until == used,
            )
            .values(pending_job_id=job.id, feedback_used_until=last, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            session.rollback()
            return None
        session.commit()
    except OperationalError as exc:  # SQLite: another writer committed since the read
        session.rollback()
        logger.info("retraining trigger for %s lost a race: %s", model_name, exc.orig)
        return None
    logger.info("queued continue job %s for %s (%s)", job.id, model_name, config["trigger"])
    return job


def _busy(session: Session, job_id: str | None) -> bool:
    if job_id is None:
        return False
    job = session.get(FineTuneJob, job_id, populate_existing=True)
    return job is not None and job.status not in FINISHED


def record_drift(
    session: Session, model_name: str, version: int, status: dict[str, Any]
) -> FineTuneJob | None:
    """Record that ``model_name``@``version`` drifted, and queue its continue job if its
    policy fires on drift; the job, or None."""
    event = DriftEvent(
        model_name=model_name,
        version=version,
        label_psi=status.get("label_psi"),
        confidence_psi=status.get("confidence_psi"),
        window_size=int(status.get("window", 0)),
        detail=status,
    )
    session.add(event)
    session.commit()
    event_id = event.id
    job = maybe_queue(session, model_name, drifted=True)
    if job is not None:
        session.execute(update(DriftEvent).where(DriftEvent.id == event_id).values(job_id=job.id))
        session.commit()
    return job
