"""Storage: the database (SQLAlchemy + Alembic) and filesystem artifacts."""

from open_interpreter.storage.db import Database, database_url, has_database
from open_interpreter.storage.tables import (
    ApiKey,
    AuditEvent,
    Base,
    Dataset,
    Evaluation,
    FineTuneJob,
    JobEvent,
    ModelVersion,
    PromptVersion,
    RegisteredModel,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "Database",
    "Dataset",
    "Evaluation",
    "FineTuneJob",
    "JobEvent",
    "ModelVersion",
    "PromptVersion",
    "RegisteredModel",
    "database_url",
    "has_database",
]
