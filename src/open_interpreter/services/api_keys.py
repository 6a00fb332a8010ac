"""API keys: created once and shown once, stored hashed, compared in constant time; scopes.

``oi keys`` creates, lists and revokes them; the API checks each request's key with
:func:`find_key` and :func:`allows`. Creating and revoking a key are written to the audit
log (:mod:`~open_interpreter.services.audit`) in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError
from open_interpreter.services import audit
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import ApiKey, utcnow

SCOPES = ("predict", "train", "admin")
"""Each scope includes the ones before it: admin can train, train can predict."""

KEY_PREFIX = "oi_"
NAME_LIMIT = 200
"""The longest key name (the column's width; PostgreSQL refuses a longer one)."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, *, name: str, scope: str, caller: Caller = LOCAL
) -> tuple[ApiKey, str]:
    """Create a key; returns its row and the key itself, which is never stored or shown again.

    Args:
        session: A database session.
        name: A label to recognise the key by.
        scope: ``predict``, ``train`` or ``admin``.
        caller: Who creates it, for the audit log (``key.create``).

    Raises:
        ConfigError: Unknown scope, or a name that is empty, longer than 200 characters
            or holds a control character.

    Example:
        >>> row, secret = create_key(session, name="ci", scope="train")  # doctest: +SKIP
    """
    if scope not in SCOPES:
        raise ConfigError(f"unknown scope {scope!r}; choose one of {list(SCOPES)}")
    if not 0 < len(name) <= NAME_LIMIT or not name.isprintable():
        raise ConfigError(
            f"a key name is 1 to {NAME_LIMIT} printable characters, got {name[:40]!r}"
            f" ({len(name)} characters)"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=artifacts.new_id("key"), name=name, prefix=key[:10], key_hash=_hash(key), scope=scope
    )
    session.add(row)
    detail = {"name": name, "prefix": row.prefix, "scope": scope}
    audit.record(session, caller=caller, action="key.create", target=row.id, detail=detail)
    session.commit()
    return row, key


def find_key(session: Session, key: str) -> ApiKey | None:
    """The active key row matching ``key``, compared in constant time; None if none matches."""
    if not key.startswith(KEY_PREFIX):
        return None
    candidates = session.scalars(
        select(ApiKey).where(ApiKey.prefix == key[:10], ApiKey.revoked_at.is_(None))
    ).all()
    digest = _hash(key)
    found = None
    for row in candidates:
        if hmac.compare_digest(row.key_hash, digest):
            found = row
    return found


def allows(granted: str, needed: str) -> bool:
    """Whether a key of scope ``granted`` may use a route that needs ``needed``."""
    return SCOPES.index(granted) >= SCOPES.index(needed)


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, active or revoked, oldest first (rows hold the prefix, never the key)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(session: Session, key_id: str, *, caller: Caller = LOCAL) -> bool:
    """Revoke a key by id; False if there is no such active key.

    ``caller`` is who revokes it, for the audit log (``key.revoke``).
    """
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    detail = {"name": row.name, "prefix": row.prefix, "scope": row.scope}
    audit.record(session, caller=caller, action="key.revoke", target=key_id, detail=detail)
    session.commit()
    return True
