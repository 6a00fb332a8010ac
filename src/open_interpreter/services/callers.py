"""Who makes a call on the services: an API key, the CLI, or a server without keys.

Datasets, fine-tune jobs and evaluations belong to the API key that made them. A key
that is not ``admin`` sees and acts on its own rows only: another key's row reads as
missing, so its id tells nothing. Admin keys, the CLI and a server without keys see
every row. The audit log names the caller of every change to keys and registered models.

Example:
    >>> CLI.sees_all, CLI.actor
    (True, 'cli')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from open_interpreter.storage.tables import ApiKey


@dataclass(frozen=True)
class Caller:
    """Who is calling, for ownership and for the audit log."""

    actor: str = "local"
    """How the audit log names it: ``"<key name> (<prefix>…)"``, ``cli`` or ``local``."""
    key_id: str | None = None
    """The API key's id, stamped as the owner of the rows it makes; None without a key."""
    sees_all: bool = True
    """Whether it sees and acts on every key's rows (admin keys, the CLI, no keys)."""
    address: str | None = None
    """The client's address, for a call over HTTP."""

    def __post_init__(self) -> None:
        if not self.sees_all and self.key_id is None:
            raise ValueError(f"a caller limited to its own rows needs a key id, got {self=}")

    @classmethod
    def of_key(cls, key: ApiKey, *, address: str | None = None) -> Caller:
        """The caller holding ``key``: it sees all rows only with the ``admin`` scope."""
        return cls(
            actor=f"{key.name} ({key.prefix}…)",
            key_id=key.id,
            sees_all=key.scope == "admin",
            address=address,
        )

    def may_see(self, owner_key_id: str | None) -> bool:
        """Whether a row owned by ``owner_key_id`` exists for this caller."""
        return self.sees_all or owner_key_id == self.key_id

    def owned(self, query: Select[Any], owner_column: Any) -> Select[Any]:
        """``query`` narrowed to the rows this caller may see (unchanged if it sees all)."""
        return query if self.sees_all else query.where(owner_column == self.key_id)


LOCAL = Caller()
"""A call in this process without a key (the library, a server without keys)."""

CLI = Caller(actor="cli")
"""A command of ``oi``."""
