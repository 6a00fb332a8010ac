"""the assistant served by the API: assistants, conversations, turns, feedback

`assistants` (a knowledge base named by the assistant's id, its source, encoder, hand-off
threshold, passages cited, owner key), `assistant_sessions` (a conversation, owner key),
`assistant_turns` (question, the retrieval query resolved against the history, answer,
route, confidence, hand-off and its event, citations as JSON) and `assistant_feedback`
(thumbs up/down and a correction on a turn). Models in
`open_interpreter/apps/assistant/tables.py`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:30:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _owner(table: str) -> list[Any]:
    return [
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["owner_key_id"], ["api_keys.id"], name=f"fk_{table}_owner_key_id"),
    ]


def upgrade() -> None:
    op.create_table(
        "assistants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kb_name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("encoder", sa.String(length=500), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("num_entries", sa.Integer(), nullable=False),
        *_owner("assistants"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistants_owner_key_id", "assistants", ["owner_key_id"])
    op.create_table(
        "assistant_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        *_owner("assistant_sessions"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"], ["assistants.id"], name="fk_assistant_sessions_assistant_id"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_sessions_assistant_id", "assistant_sessions", ["assistant_id"])
    op.create_index("ix_assistant_sessions_owner_key_id", "assistant_sessions", ["owner_key_id"])
    op.create_table(
        "assistant_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.Column("handoff_reason", sa.String(length=500), nullable=True),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["assistant_sessions.id"], name="fk_assistant_turns_session_id"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["assistant_handoffs.id"], name="fk_assistant_turns_handoff_id"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "number", name="uq_assistant_turns_number"),
    )
    op.create_index("ix_assistant_turns_session_id", "assistant_turns", ["session_id"])
    op.create_table(
        "assistant_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("correction", sa.Text(), nullable=True),
        *_owner("assistant_feedback"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["assistant_turns.id"], name="fk_assistant_feedback_turn_id"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_feedback_turn_id", "assistant_feedback", ["turn_id"])
    op.create_index("ix_assistant_feedback_owner_key_id", "assistant_feedback", ["owner_key_id"])


def downgrade() -> None:
    op.drop_index("ix_assistant_feedback_owner_key_id", table_name="assistant_feedback")
    op.drop_index("ix_assistant_feedback_turn_id", table_name="assistant_feedback")
    op.drop_table("assistant_feedback")
    op.drop_index("ix_assistant_turns_session_id", table_name="assistant_turns")
    op.drop_table("assistant_turns")
    op.drop_index("ix_assistant_sessions_owner_key_id", table_name="assistant_sessions")
    op.drop_index("ix_assistant_sessions_assistant_id", table_name="assistant_sessions")
    op.drop_table("assistant_sessions")
    op.drop_index("ix_assistants_owner_key_id", table_name="assistants")
    op.drop_table("assistants")
