"""jobs that ask for processes: fine_tune_jobs.needs_processes, needs_gpus, needs_memory_mb

A queued job may need several training processes (DDP, ``distributed.processes`` in its
config), GPUs, or memory; a worker advertises what it has (``oi worker --processes N
--gpus K``) and claims only the jobs it can run (services/job_queue.py). Existing jobs
need one process, no GPU and no stated memory, which every worker has.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_processes", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("needs_gpus", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("needs_memory_mb", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.drop_column("needs_memory_mb")
        batch_op.drop_column("needs_gpus")
        batch_op.drop_column("needs_processes")
