"""the recommender's tables: uploaded interaction/item files and feedback events

``recommender_files`` holds interaction and item tables uploaded to train recommenders
(``POST /v1/recommenders/files``); ``recommender_events`` the feedback users gave on
recommendations (``POST /v1/recommenders/{name}/events``). Declared in
``apps/recommend/tables.py``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommender_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name="fk_recommender_files_owner_key_id"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recommender_files_owner_key_id", "recommender_files", ["owner_key_id"])
    op.create_table(
        "recommender_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name="fk_recommender_events_owner_key_id"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_recommender_events_model_user", "recommender_events", ["model_name", "user_id"]
    )
    op.create_index("ix_recommender_events_owner_key_id", "recommender_events", ["owner_key_id"])


def downgrade() -> None:
    op.drop_index("ix_recommender_events_owner_key_id", table_name="recommender_events")
    op.drop_index("ix_recommender_events_model_user", table_name="recommender_events")
    op.drop_table("recommender_events")
    op.drop_index("ix_recommender_files_owner_key_id", table_name="recommender_files")
    op.drop_table("recommender_files")
