"""assistants.handoff_webhook and assistant_handoffs.delivery: hand-offs sent to a webhook

An assistant served by the API may name a webhook (URL, secret, retries: the platform's
``services/webhooks.Webhook``) that each of its hand-offs is POSTed to, signed; the
hand-off keeps the delivery's record (delivered, attempts, last status and error). Both
columns are JSON and empty for assistants without a webhook (docs/assistant.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assistants") as table:
        table.add_column(sa.Column("handoff_webhook", sa.JSON(), nullable=True))
    with op.batch_alter_table("assistant_handoffs") as table:
        table.add_column(sa.Column("delivery", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assistant_handoffs") as table:
        table.drop_column("delivery")
    with op.batch_alter_table("assistants") as table:
        table.drop_column("handoff_webhook")
