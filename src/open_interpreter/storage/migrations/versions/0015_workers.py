"""workers: every running oi worker, what it can run, what it runs now, when it was last seen

Each worker registers itself on start (id, host, pid, processes, GPUs, memory, its lease
timeout), keeps ``last_seen`` fresh from its loop, names the job it runs, and marks
itself ``stopped`` when it stops cleanly; one not seen for longer than its lease timeout
reads as ``lost``. Shown by ``oi workers list``, ``GET /v1/workers`` and the dashboard's
Resources page (docs/scale-out.md). The table is declared in ``services/worker_tables.py``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("processes", sa.Integer(), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.Column("memory_mb", sa.Integer(), nullable=False),
        sa.Column("lease_timeout_s", sa.Double(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workers_state_last_seen", "workers", ["state", "last_seen"])


def downgrade() -> None:
    op.drop_index("ix_workers_state_last_seen", table_name="workers")
    op.drop_table("workers")
