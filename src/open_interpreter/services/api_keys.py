"""API keys: created once and shown once, stored hashed, compared in constant time; scopes.

``oi keys`` creates, lists and revokes them; the API checks each request's key with
:func:`find_key` and :func:`allows`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from open_interpreter.errors import ConfigError
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import ApiKey, utcnow

SCOPES = ("predict", "train", "admin")
"""Each scope includes the ones before it: admin can train, train can predict."""

KEY_PREFIX = "oi_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, *, name: str, scope: str) -> tuple[ApiKey, str]:
    """Create a key; returns its row and the key itself, which is never stored or shown again.

    Raises:
        ConfigError: Unknown scope.
    """
    if scope not in SCOPES:
        raise ConfigError(f"unknown scope {scope!r}; choose one of {list(SCOPES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=artifacts.new_id("key"), name=name, prefix=key[:10], key_hash=_hash(key), scope=scope
    )
    session.add(row)
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


def revoke_key(session: Session, key_id: str) -> bool:
    """Revoke a key by id; False if there is no such active key."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.commit()
    return True
