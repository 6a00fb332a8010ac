"""The audit log: who created or revoked a key, and who promoted, rolled back or deleted
a registered model, when, and from which address.

The services that make these changes (:mod:`~open_interpreter.services.api_keys`,
:mod:`~open_interpreter.services.registry`) add the event to the change's own
transaction, so the API and the CLI are audited alike and no change commits without its
event. Events are only ever added. See ``docs/security.md``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError
from open_interpreter.services.callers import Caller
from open_interpreter.storage.tables import AuditEvent

ACTIONS = (
    "key.create",
    "key.revoke",
    "model.promote",
    "model.rollback",
    "model.delete",
    "study.register",
    "model.register",
    "model.export",
)
"""Every action the log records; a target is a key id (``key.*``), a model name
(``model.delete``) or ``name@version`` (``study.register``: the version registered;
``model.register``: a continued version, with its promotion gate's decision, or a
directory registered by ``oi models register``, with ``source: directory``;
``model.export``: the version exported, with the precision and parity figures)."""


def record(
    session: Session,
    *,
    caller: Caller,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to ``session``; it is written when the caller commits its change.

    Args:
        session: The session the change itself is made in.
        caller: Who made the change.
        action: One of :data:`ACTIONS`.
        target: What it was made to: a key id, a model name, ``name@version``.
        detail: What else the change needs said (a key's scope, the version it replaced).

    Returns:
        The event, not yet committed.

    Raises:
        ConfigError: ``action`` is not one of :data:`ACTIONS`.

    Example:
        >>> record(session, caller=CLI, action="key.revoke", target="key_3f9a")  # doctest: +SKIP
    """
    _check_action(action)
    event = AuditEvent(
        actor=caller.actor,
        actor_key_id=caller.key_id,
        action=action,
        target=target,
        detail=detail or {},
        client_address=caller.address,
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    action: str | None = None,
    target: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """A page of events, newest first, and how many match in all.

    Args:
        session: A database session.
        action: Only this action.
        target: Only this target; a model name also matches its versions (``ner`` matches
            ``ner`` and ``ner@2``).
        limit: Most events to return.
        offset: Events to skip.

    Raises:
        ConfigError: ``action`` is not one of :data:`ACTIONS`.
    """
    query = select(AuditEvent)
    if action is not None:
        _check_action(action)
        query = query.where(AuditEvent.action == action)
    if target is not None:
        query = query.where(
            or_(
                AuditEvent.target == target,
                AuditEvent.target.startswith(f"{target}@", autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ConfigError(f"unknown audit action {action!r}; use one of {list(ACTIONS)}")
