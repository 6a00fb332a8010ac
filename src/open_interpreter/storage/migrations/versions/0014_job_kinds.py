"""kinds of queued job: fine_tune_jobs.kind and fine_tune_jobs.result

The queue runs other work than fine-tunes through the same claim, lease, retry and
cancel machinery (services/job_kinds.py): a continued training of a served model, a
recommender's training. ``kind`` says which (``fine_tune`` for every existing job), and
``result`` keeps what a job of another kind returned.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="fine_tune")
        )
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade() -> None:
    # An older release would run any queued job as a fine-tune: jobs of other kinds go.
    other = "SELECT id FROM fine_tune_jobs WHERE kind <> 'fine_tune'"
    op.execute(f"DELETE FROM job_events WHERE job_id IN ({other})")
    op.execute("DELETE FROM fine_tune_jobs WHERE kind <> 'fine_tune'")
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.drop_column("result")
        batch_op.drop_column("kind")
