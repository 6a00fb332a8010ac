"""feedback, drift events and retraining policies of served models

``feedback`` holds labelled examples clients send back (``POST /v1/models/{name}/feedback``),
``drift_events`` the moments a served version's predictions drifted from its baseline, and
``retraining_policies`` when to queue a continue job for a model (see docs/continual.md).
The tables are declared in ``services/continual_tables.py``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tokens", sa.JSON(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("predicted", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["model_name"], ["models.name"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_key_id"], ["api_keys.id"], name="fk_feedback_owner_key_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feedback_model_id", "feedback", ["model_name", "id"])
    op.create_index("ix_feedback_owner_key_id", "feedback", ["owner_key_id"])
    op.create_table(
        "drift_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label_psi", sa.Double(), nullable=True),
        sa.Column("confidence_psi", sa.Double(), nullable=True),
        sa.Column("window_size", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drift_events_model_name", "drift_events", ["model_name"])
    op.create_table(
        "retraining_policies",
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("after_feedback", sa.Integer(), nullable=True),
        sa.Column("on_drift", sa.Boolean(), nullable=False),
        sa.Column("min_feedback", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("margin", sa.Double(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("pending_job_id", sa.String(length=32), nullable=True),
        sa.Column("feedback_used_until", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["model_name"], ["models.name"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name="fk_retraining_policies_owner_key_id"
        ),
        sa.PrimaryKeyConstraint("model_name"),
    )
    op.create_index("ix_retraining_policies_owner_key_id", "retraining_policies", ["owner_key_id"])


def downgrade() -> None:
    op.drop_index("ix_retraining_policies_owner_key_id", table_name="retraining_policies")
    op.drop_table("retraining_policies")
    op.drop_index("ix_drift_events_model_name", table_name="drift_events")
    op.drop_table("drift_events")
    op.drop_index("ix_feedback_owner_key_id", table_name="feedback")
    op.drop_index("ix_feedback_model_id", table_name="feedback")
    op.drop_table("feedback")
