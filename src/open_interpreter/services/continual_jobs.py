"""The ``continue`` job kind: continue a registered model on its stored feedback, behind
the champion / challenger gate.

Queued by a retraining policy (:func:`~open_interpreter.services.continual_policy.maybe_queue`)
with the feedback rows it takes (``feedback_after < id <= feedback_until``). The worker
continues the model's current version (production, else the latest) with the policy's
strategy (:func:`open_interpreter.continual.continue_training`), registers the result and
promotes it only if it passes the gate
(:func:`~open_interpreter.services.continual.register_continued`); the job's result
says which version it made and why it was or was not promoted.
"""

from __future__ import annotations

from typing import Any

from open_interpreter.errors import ConfigError
from open_interpreter.services.job_kinds import JobContext, JobKind

_INTS = ("feedback_after", "feedback_until")


def check(config: dict[str, Any]) -> dict[str, Any]:
    """A continue job's config, validated: ``strategy``, ``margin``, ``settings``,
    ``feedback_after``, ``feedback_until`` (and the ``trigger`` that queued it).

    Raises:
        ConfigError: A missing or bad field.
    """
    from open_interpreter.services.continual_policy import STRATEGIES, check_settings

    unknown = sorted(set(config) - {"strategy", "margin", "settings", "trigger", *_INTS})
    if unknown:
        raise ConfigError(f"unknown continue-job fields {unknown}")
    if config.get("strategy") not in STRATEGIES:
        raise ConfigError(
            f"strategy must be one of {list(STRATEGIES)}, got {config.get('strategy')!r}"
        )
    for name in _INTS:
        value = config.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be a feedback id (an integer >= 0), got {value!r}")
    if config["feedback_until"] <= config["feedback_after"]:
        raise ConfigError("feedback_until must be above feedback_after: no feedback to train on")
    margin = config.get("margin", 0.01)
    if not isinstance(margin, int | float) or isinstance(margin, bool) or margin < 0:
        raise ConfigError(f"margin must be a number >= 0, got {margin!r}")
    return {
        "strategy": config["strategy"],
        "margin": float(margin),
        "settings": check_settings(dict(config.get("settings") or {})),
        "feedback_after": config["feedback_after"],
        "feedback_until": config["feedback_until"],
        "trigger": str(config.get("trigger", "manual"))[:40],
    }


def run(ctx: JobContext) -> dict[str, Any]:
    """Continue the model on its feedback, register the new version behind the gate."""
    from open_interpreter.bundle import ModelBundle
    from open_interpreter.continual import continue_training
    from open_interpreter.services import registry
    from open_interpreter.services.continual import register_continued
    from open_interpreter.services.continual_feedback import feedback_examples
    from open_interpreter.storage import artifacts

    config, name = ctx.job.config, ctx.job.model_name
    after, until = config["feedback_after"], config["feedback_until"]
    with ctx.db.session() as session:
        current = registry.get_version(session, name)
        version, path = current.version, artifacts.resolve(current.path)
        data = feedback_examples(session, name, after_id=after, until_id=until)
    ctx.log(
        f"continuing {name}@{version} on {len(data)} feedback examples "
        f"(ids {after + 1}-{until}) with strategy {config['strategy']}"
    )
    bundle = ModelBundle.load(path)
    step = continue_training(
        bundle,
        data,
        strategy=config["strategy"],
        task_name=f"feedback-{after + 1}-{until}",
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


CONTINUE_JOB = JobKind(name="continue", check=check, run=run)
"""Continue a registered model on its feedback (``kind="continue"``)."""
