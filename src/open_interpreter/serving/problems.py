"""Errors as JSON problem details (RFC 9457) with a stable ``code``.

Library errors map to 4xx here and only here: routes raise them, this turns them into
responses. A request can never produce a 500 by sending something odd; a 500 means a bug
and is logged with its traceback. A database that cannot be reached (restarting, a lost
connection, a full connection pool, a lock held too long) is a 503 with ``Retry-After``:
the next request gets a fresh connection, so the server recovers by itself. A disk with
no room for an upload is a 507.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from open_interpreter import errors
from open_interpreter.atomic import no_space_left

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_S = 5

# (status, code) per library error, most specific first.
_MAPPING: list[tuple[type[Exception], int, str]] = [
    (errors.LabelError, 400, "unknown_label"),
    (errors.DataError, 400, "invalid_data"),
    (errors.ConfigError, 422, "invalid_config"),
    (errors.ModelNotFoundError, 404, "model_not_found"),
    (errors.ModelStateError, 409, "model_not_ready"),
    (errors.OutOfSpaceError, 507, "insufficient_storage"),
    (errors.ExportError, 422, "export_refused"),
    (errors.ArtifactStoreError, 503, "storage_unavailable"),
]
_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class Problem(Exception):
    """An HTTP problem raised by a route: status, stable code and a human message."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """A ``application/problem+json`` response."""
    body = {
        "type": f"https://open-interpreter.dev/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else None
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _library_error(_request: Request, exc: Exception) -> JSONResponse:
    for kind, status, code in _MAPPING:
        if isinstance(exc, kind):
            return problem_response(status, code, str(exc))
    name = type(exc).__name__
    if name == "NotFoundError":
        return problem_response(404, "not_found", str(exc))
    if name == "ConflictError":
        return problem_response(409, "conflict", str(exc))
    return problem_response(400, "bad_request", str(exc))


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p not in ("body", "query", "path")]
        fields.append({"field": ".".join(loc) or "body", "message": err["msg"]})
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return problem_response(422, "validation_error", detail, errors=fields)


def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail))


def _problem(_request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc.status, exc.code, exc.detail, **exc.extra)


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or went away (restarting, a
    dropped connection, a full connection pool, a lock held too long), rather than that it
    answered with an error."""
    if isinstance(exc, PoolTimeoutError | OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 when the database could not be reached; any other database error is a bug."""
    if not database_unreachable(exc):
        raise exc  # the database answered (a constraint...): a bug, for _unexpected
    reason = next(iter(str(getattr(exc, "orig", None) or exc).strip().splitlines()), "")
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
    return problem_response(
        503,
        "database_unavailable",
        "the database cannot be reached just now; retry shortly",
        retry_after=DATABASE_RETRY_AFTER_S,
    )


def _os_error(request: Request, exc: Exception) -> JSONResponse:
    """507 when the disk had no room for what the request stored; any other is a bug."""
    if not no_space_left(exc):
        raise exc  # a bug, for _unexpected
    logger.error("no space left on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        507, "insufficient_storage", "the server has no space left to store this"
    )


PYTORCH_STACK = frozenset({"torch", "transformers", "peft", "accelerate", "captum"})
"""What a server installed without PyTorch (``open-interpreter-nlp[onnx]`` only) lacks."""


def _missing_module(request: Request, exc: ModuleNotFoundError) -> JSONResponse:
    """501 when a torch-free server is asked for what needs PyTorch; any other is a bug."""
    if (exc.name or "").partition(".")[0] not in PYTORCH_STACK:
        return _unexpected(request, exc)
    return problem_response(
        501,
        "needs_pytorch",
        "this server is installed without PyTorch: it predicts with ONNX exports only; "
        "explanations, evaluations, generation and models without an export need a server "
        "with PyTorch",
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # exc_info given: this may run in a worker thread, outside the except block
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal_error", "an unexpected error occurred; it was logged")


OPENAI_PATHS = frozenset({"/v1/chat/completions", "/v1/completions"})
"""Routes that OpenAI's SDKs call: their problems also carry OpenAI's ``error`` object."""

Handler = Callable[[Request, Any], JSONResponse]


def _openai_shaped(handler: Handler) -> Handler:
    """``handler``, whose problems on :data:`OPENAI_PATHS` also carry OpenAI's error object
    (``{"error": {"message", "type", "param", "code"}}``), which OpenAI's SDKs read."""

    def handle(request: Request, exc: Any) -> JSONResponse:
        response = handler(request, exc)
        if request.url.path not in OPENAI_PATHS:
            return response
        body = json.loads(bytes(response.body))
        code = body["code"]
        body["error"] = {"message": body["detail"], "type": code, "param": None, "code": code}
        retry = response.headers.get("retry-after")
        return JSONResponse(
            body,
            status_code=response.status_code,
            media_type=response.media_type,
            headers={"Retry-After": retry} if retry else None,
        )

    return handle


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(Problem, _openai_shaped(_problem))
    app.add_exception_handler(errors.OpenInterpreterError, _openai_shaped(_library_error))
    app.add_exception_handler(RequestValidationError, _openai_shaped(_validation_error))
    app.add_exception_handler(StarletteHTTPException, _openai_shaped(_http_error))
    app.add_exception_handler(DBAPIError, _openai_shaped(_database_error))
    app.add_exception_handler(PoolTimeoutError, _openai_shaped(_database_error))
    app.add_exception_handler(OSError, _openai_shaped(_os_error))
    app.add_exception_handler(ModuleNotFoundError, _openai_shaped(_missing_module))
    app.add_exception_handler(Exception, _openai_shaped(_unexpected))
