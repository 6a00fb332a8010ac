"""the customer-support assistant's tables (knowledge bases, sessions, hand-offs)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # STUB: filled in by the work that owns this migration


def downgrade() -> None:
    pass  # STUB
