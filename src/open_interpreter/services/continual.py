"""Registering a continued version behind the champion / challenger gate.

The new version is registered (audited as ``model.register``, with the gate's decision),
scored against the production version (the champion) on every task's evaluation set it
carries, and promoted (audited as ``model.promote``) only if it passes
(:func:`open_interpreter.continual.gate.judge`); otherwise it stays in stage ``none``, a
challenger, and its lineage says why. Rollback is the registry's, as for any version.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session

from open_interpreter.bundle import ModelBundle
from open_interpreter.continual import ContinualState, scores_on
from open_interpreter.continual.gate import GateDecision, judge
from open_interpreter.errors import ConfigError, NotFoundError
from open_interpreter.services import audit, registry
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import ModelVersion

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 0.01


def register_continued(
    session: Session,
    *,
    model_name: str,
    path: Path,
    margin: float = DEFAULT_MARGIN,
    caller: Caller = LOCAL,
) -> tuple[ModelVersion, GateDecision]:
    """Register the continued model saved in ``path`` and promote it if it passes the gate.

    Args:
        session: A database session.
        model_name: The registered model it is a new version of (created if new).
        path: A model saved by ``continue_training`` (it carries its continual state).
        margin: How much worse than the champion an earlier task's score may get.
        caller: Who registers it, for the audit log.

    Returns:
        The new version (in production when promoted) and the gate's decision.

    Raises:
        ConfigError: ``path`` has no continual state, or ``margin`` is negative.
    """
    if margin < 0:
        raise ConfigError(f"margin must be 0 or more, got {margin=}")
    state = ContinualState.load(Path(path))
    if state is None or not state.tasks:
        raise ConfigError(
            f"{Path(path).name} has no continual record: save it with continue_training "
            "(oi continue) before registering it behind the gate"
        )
    champion = _champion(session, model_name)
    champion_scores = None
    if champion is not None:
        bundle = ModelBundle.load(artifacts.resolve(champion.path))
        champion_scores = scores_on(bundle, state.eval_sets, state.metric)
    decision = judge(
        tasks=[task["name"] for task in state.tasks],
        challenger=state.matrix[-1],
        champion=champion_scores,
        metric=state.metric,
        margin=margin,
    )
    if champion is not None:
        decision.reasons.insert(0, f"champion: version {champion.version}")
    row = registry.register_directory(session, model_name=model_name, path=Path(path))
    row.lineage = {**row.lineage, "continual": {"gate": decision.to_dict(), "steps": state.steps}}
    audit.record(
        session,
        caller=caller,
        action="model.register",
        target=f"{model_name}@{row.version}",
        detail={"continual": True, "gate": decision.to_dict()},
    )
    session.commit()
    if decision.promoted:
        row = registry.promote(session, model_name, row.version, caller=caller)
    else:
        logger.info("version %d stays a challenger: %s", row.version, "; ".join(decision.failed))
    return row, decision


def _champion(session: Session, name: str) -> ModelVersion | None:
    try:
        return registry.get_version(session, name, stage="production")
    except NotFoundError:
        return None
