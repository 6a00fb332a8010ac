"""runs recorded from the CLI and Python: fine_tune_jobs.source, and no training dataset
needed for them

A fine-tune run from ``oi train`` or ``OpenInterpreter.fine_tune`` is recorded in the job
tables (its row in ``fine_tune_jobs`` with ``source`` ``cli`` or ``python``, its steps
and evaluations in ``job_events``), so the dashboard's runs page and ``oi runs`` list it
beside the server's jobs (``source`` ``server``). Its data was a local file or a list,
not an uploaded dataset, so ``train_dataset_id`` may be empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="server")
        )
        batch_op.alter_column("train_dataset_id", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM fine_tune_jobs WHERE source <> 'server'")
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "train_dataset_id", existing_type=sa.String(length=32), nullable=False
        )
        batch_op.drop_column("source")
