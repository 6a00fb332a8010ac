"""(held for the work in progress: empty until filled)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:30:00
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
