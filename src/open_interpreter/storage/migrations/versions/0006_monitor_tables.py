"""the financial-news monitor's tables (monitors, documents, mentions, series, alerts)

The tables are described in ``open_interpreter/apps/monitor/tables.py``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "monitor_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("monitor_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=50), nullable=True),
        sa.Column("sentiment", sa.Double(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("monitor_id", "document_id", name="uq_monitor_documents_id"),
    )
    op.create_index("ix_monitor_documents_time", "monitor_documents", ["monitor_id", "time"])
    op.create_table(
        "monitor_mentions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("monitor_id", sa.String(length=32), nullable=False),
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("sentiment", sa.Double(), nullable=False),
        sa.Column("negative", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_pk"], ["monitor_documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitor_mentions_time", "monitor_mentions", ["monitor_id", "time"])
    op.create_table(
        "monitor_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("monitor_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("mean_sentiment", sa.Double(), nullable=False),
        sa.Column("share_negative", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("monitor_id", "key", "window_end", name="uq_monitor_series_point"),
    )
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("monitor_id", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("monitor_id", "dedup_key", name="uq_monitor_alerts_dedup"),
    )
    op.create_index("ix_monitor_alerts_time", "monitor_alerts", ["monitor_id", "time"])


def downgrade() -> None:
    op.drop_table("monitor_alerts")
    op.drop_table("monitor_series")
    op.drop_index("ix_monitor_mentions_time", table_name="monitor_mentions")
    op.drop_table("monitor_mentions")
    op.drop_index("ix_monitor_documents_time", table_name="monitor_documents")
    op.drop_table("monitor_documents")
    op.drop_table("monitors")
