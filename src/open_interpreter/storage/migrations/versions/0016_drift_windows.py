"""drift_windows: each served version's drift window, so a restarted server resumes it

Per registered model and version: the observations of its last predictions (predicted
labels and confidence, oldest first, at most the server's window size) and whether the
window was drifted, saved by the server every few predictions and when it stops
(``serving/drift.py``; docs/continual.md). The table is declared in
``services/continual_tables.py``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drift_windows",
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_name"], ["models.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_name", "version"),
    )


def downgrade() -> None:
    op.drop_table("drift_windows")
