"""monitor owners and background alert delivery: monitors.owner_key_id, monitor_deliveries

A monitor made over the API belongs to the key that made it (as datasets and jobs do).
``monitor_deliveries`` queues each alert for each webhook; a background worker sends them,
retrying with backoff, so a slow or dead webhook never holds up ingestion. Rules stay in
the monitor's settings; detector state is rebuilt from the stored mentions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot add a foreign key to a table: batch mode rebuilds it
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_key_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            "fk_monitors_owner_key_id", "api_keys", ["owner_key_id"], ["id"]
        )
        batch_op.create_index("ix_monitors_owner_key_id", ["owner_key_id"], unique=False)
    op.create_table(
        "monitor_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("monitor_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["monitor_alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitor_deliveries_due", "monitor_deliveries", ["status", "next_try_at"])


def downgrade() -> None:
    op.drop_index("ix_monitor_deliveries_due", table_name="monitor_deliveries")
    op.drop_table("monitor_deliveries")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_index("ix_monitors_owner_key_id")
        batch_op.drop_constraint("fk_monitors_owner_key_id", type_="foreignkey")
        batch_op.drop_column("owner_key_id")
