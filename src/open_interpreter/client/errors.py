"""Typed errors for the server's problem details (RFC 9457 bodies with a stable ``code``).

Every error the server answers becomes an :class:`APIError` subclass chosen by its HTTP
status, carrying the problem's ``code``, ``detail`` and the whole body.
"""

from __future__ import annotations

from typing import Any

import httpx

from open_interpreter.errors import OpenInterpreterError


class APIError(OpenInterpreterError):
    """The server refused or failed a request.

    Attributes:
        status: The HTTP status.
        code: The problem's stable code (``not_found``, ``validation_error``, ...).
        detail: The human message.
        body: The whole problem body (``errors`` lists the fields of a 422).
    """

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any]):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body


class BadRequestError(APIError):
    """400: the data or the request is malformed (``invalid_data``, ``unknown_label``...)."""


class AuthenticationError(APIError):
    """401: no API key, or an unknown or revoked one."""


class PermissionDeniedError(APIError):
    """403: the key's scope does not allow this."""


class NotFoundError(APIError):
    """404: no such dataset, job, model or version (or not the caller's)."""


class ConflictError(APIError):
    """409: the resource is not in a state that allows this."""


class ValidationError(APIError):
    """422: a field is out of range or the settings are invalid; ``body["errors"]`` (when
    present) names each field."""


class RateLimitedError(APIError):
    """429: too many requests or a busy model; ``retry_after`` says when to come back."""

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before retrying, as the server advised."""
        value = self.body.get("retry_after")
        return int(value) if value is not None else None


class ServerError(APIError):
    """5xx: the server could not answer (a database away: 503, a full disk: 507)."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def raise_for_problem(response: httpx.Response) -> None:
    """Raise the :class:`APIError` matching ``response`` unless it succeeded.

    Raises:
        APIError: Its subclass for the status (:class:`ServerError` for 5xx).
    """
    if response.is_success:
        return
    response.read()
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    code = str(body.get("code") or "http_error")
    detail = str(body.get("detail") or response.text[:500] or response.reason_phrase)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    raise kind(status, code, detail, body)
