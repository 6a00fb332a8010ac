"""hyperparameter studies run as jobs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # STUB: filled in by the work that owns this migration


def downgrade() -> None:
    pass  # STUB
