"""the customer-support assistant's tables: knowledge bases, their entries, hand-offs

`assistant_knowledge_bases` (a name, the encoder of its embeddings, a version that grows
with each ingest that changes it), `assistant_entries` (id, text, answer, source, content
hash, a float32 embedding as bytes) and `assistant_handoffs` (questions passed to a
person, with the reason). Models in `open_interpreter/apps/assistant/tables.py`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistant_knowledge_bases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("encoder", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_assistant_knowledge_bases_name"),
    )
    op.create_table(
        "assistant_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["assistant_knowledge_bases.id"],
            name="fk_assistant_entries_kb_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kb_id", "entry_id", name="uq_assistant_entries_kb_entry"),
    )
    op.create_index("ix_assistant_entries_kb_id", "assistant_entries", ["kb_id"])
    op.create_table(
        "assistant_handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kb_name", sa.String(length=100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_handoffs_kb_name", "assistant_handoffs", ["kb_name"])
    op.create_index("ix_assistant_handoffs_created_at", "assistant_handoffs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_assistant_handoffs_created_at", table_name="assistant_handoffs")
    op.drop_index("ix_assistant_handoffs_kb_name", table_name="assistant_handoffs")
    op.drop_table("assistant_handoffs")
    op.drop_index("ix_assistant_entries_kb_id", table_name="assistant_entries")
    op.drop_table("assistant_entries")
    op.drop_table("assistant_knowledge_bases")
