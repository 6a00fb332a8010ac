"""owner_key_id on datasets, fine-tune jobs and evaluations; the audit_events table

Rows made before this migration have no owner: only admin keys (and a server without
keys) see them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OWNED = ("datasets", "fine_tune_jobs", "evaluations")


def upgrade() -> None:
    for table in OWNED:
        # SQLite cannot add a foreign key to a table: batch mode rebuilds it
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("owner_key_id", sa.String(length=32), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_owner_key_id", "api_keys", ["owner_key_id"], ["id"]
            )
            batch_op.create_index(f"ix_{table}_owner_key_id", ["owner_key_id"], unique=False)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("actor_key_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_created_at", "audit_events", ["created_at"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_target", "audit_events", ["target"])


def downgrade() -> None:
    op.drop_table("audit_events")
    for table in reversed(OWNED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_owner_key_id")
            batch_op.drop_constraint(f"fk_{table}_owner_key_id", type_="foreignkey")
            batch_op.drop_column("owner_key_id")
