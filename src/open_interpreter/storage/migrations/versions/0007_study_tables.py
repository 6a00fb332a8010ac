"""hyperparameter studies run as jobs: the tuning_studies and tuning_trials tables

A study's trials are fine-tune jobs; ``tuning_trials`` links each Optuna trial to its job.
Optuna's own tables stay apart (``studies.db`` beside a SQLite database, the ``optuna``
schema on PostgreSQL; see ``tuning/storage.py``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tuning_studies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("search", sa.JSON(), nullable=False),
        sa.Column("train_dataset_id", sa.String(length=32), nullable=False),
        sa.Column("validation_dataset_id", sa.String(length=32), nullable=False),
        sa.Column("register_best", sa.Boolean(), nullable=False),
        sa.Column("best_trial", sa.Integer(), nullable=True),
        sa.Column("best_value", sa.Double(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("advancing_until", sa.DateTime(), nullable=True),
        sa.Column("owner_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["train_dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["validation_dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"]),
        sa.ForeignKeyConstraint(
            ["owner_key_id"], ["api_keys.id"], name="fk_tuning_studies_owner_key_id"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tuning_studies_status", "tuning_studies", ["status"])
    op.create_index("ix_tuning_studies_owner_key_id", "tuning_studies", ["owner_key_id"])
    op.create_table(
        "tuning_trials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("study_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("optuna_trial_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("pruned_at", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["study_id"], ["tuning_studies.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["fine_tune_jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id"),
        sa.UniqueConstraint("study_id", "number", name="uq_tuning_trials_number"),
    )
    op.create_index("ix_tuning_trials_study_id", "tuning_trials", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_tuning_trials_study_id", table_name="tuning_trials")
    op.drop_table("tuning_trials")
    op.drop_index("ix_tuning_studies_owner_key_id", table_name="tuning_studies")
    op.drop_index("ix_tuning_studies_status", table_name="tuning_studies")
    op.drop_table("tuning_studies")
