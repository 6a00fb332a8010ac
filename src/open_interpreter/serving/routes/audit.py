"""``GET /v1/audit``: the audit log, newest first (``admin`` keys only).

Who created or revoked a key, promoted, rolled back or deleted a model, when, and from
which address; written by the services themselves, so ``oi keys`` is in it too
(:mod:`~open_interpreter.services.audit`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from open_interpreter.services import audit
from open_interpreter.serving.deps import AdminKey, PageDep, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEventPublic(BaseModel):
    """One audited change."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    actor: str = Field(description="The key's name and prefix, 'cli', or 'local' (no keys).")
    actor_key_id: str | None = Field(description="The key's id, when a key made the change.")
    action: str = Field(description=f"One of {', '.join(audit.ACTIONS)}.")
    target: str = Field(description="A key id, a model name, or name@version.")
    detail: dict[str, Any]
    client_address: str | None = Field(description="The client's address, over HTTP.")


class AuditEventsPublic(BaseModel):
    """A page of audit events, newest first."""

    data: list[AuditEventPublic]
    count: int


Action = Annotated[str | None, Query(max_length=40, description="Only this action.")]
Target = Annotated[
    str | None,
    Query(max_length=300, description="Only this target; a model name matches its versions."),
]


@router.get("")
def list_audit_events(
    session: SessionDep, _key: AdminKey, page: PageDep, action: Action = None, target: Target = None
) -> AuditEventsPublic:
    """Audit events, newest first, optionally of one action or target."""
    rows, total = audit.list_events(
        session, action=action, target=target, limit=page.limit, offset=page.offset
    )
    return AuditEventsPublic(data=[AuditEventPublic.model_validate(r) for r in rows], count=total)
