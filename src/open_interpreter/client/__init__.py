"""A Python client for an Open Interpreter server (``oi serve``).

Example:
    >>> from open_interpreter.client import Client
    >>> with Client("http://127.0.0.1:8000", api_key="oi_...") as oi:  # doctest: +SKIP
    ...     print(oi.generate("smollm2-135m-instruct", "What is NER?")["text"])
"""

from open_interpreter.client.client import Client, JobFailedError
from open_interpreter.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from open_interpreter.client.sse import Event

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "Event",
    "JobFailedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "ValidationError",
]
