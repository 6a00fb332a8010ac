"""Webhooks: a signed JSON POST to a receiver the user names, retried with backoff, and
never to the server's own network.

Used by the monitor's alerts and the assistant's hand-offs. The receiver checks
``X-OI-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body under the webhook's
secret (:func:`signature`), and may drop repeats by the event id header.

A webhook URL comes from an API client, so it is treated as hostile (server-side request
forgery): a URL naming a loopback, private, link-local or otherwise non-public address is
refused when the webhook is set, and a host name is resolved before each try and refused
when any of its addresses is not public. Redirects are not followed (a public receiver
could otherwise send the POST on to an internal one). A deployment whose receivers live
on its own private network sets ``OI_WEBHOOK_ALLOW_PRIVATE=1``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, HttpUrl, field_validator

from open_interpreter.errors import DataError

SIGNATURE_HEADER = "X-OI-Signature"
ALLOW_PRIVATE = "OI_WEBHOOK_ALLOW_PRIVATE"
"""Set to 1 to allow receivers on loopback and private addresses (a trusted network)."""


class Webhook(BaseModel):
    """Where events are POSTed, signed with HMAC-SHA256 of the body under ``secret``."""

    model_config = {"extra": "forbid"}

    url: HttpUrl = Field(..., description="http(s) URL receiving events as JSON.")
    secret: str = Field("", max_length=200, description="Signing key; empty: unsigned.")
    retries: int = Field(3, ge=0, le=10, description="Retries after a failed delivery.")
    backoff_seconds: float = Field(
        0.5, ge=0, le=60, description="First wait between tries; doubled each retry."
    )
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per try.")

    @field_validator("url")
    @classmethod
    def _public(cls, url: HttpUrl) -> HttpUrl:
        if len(str(url)) > 2000:
            raise ValueError("a webhook URL is at most 2,000 characters")
        problem = _literal_problem(url.host or "")
        if problem:
            raise ValueError(problem)
        return url


def private_allowed() -> bool:
    """Whether ``OI_WEBHOOK_ALLOW_PRIVATE`` lets receivers use non-public addresses."""
    return os.environ.get(ALLOW_PRIVATE, "").strip().lower() in ("1", "true", "yes")


def check_destination(url: str) -> None:
    """Refuse a receiver whose host is, or resolves to, a non-public address.

    Raises:
        DataError: The host does not resolve, or one of its addresses is loopback,
            private, link-local, reserved or multicast (unless private ones are allowed).
    """
    if private_allowed():
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    problem = _literal_problem(host)
    if problem:
        raise DataError(problem)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise DataError(f"webhook host {host!r} does not resolve: {error}") from None
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global:
            raise DataError(_refusal(host, ip))


def _literal_problem(host: str) -> str | None:
    """Why ``host`` (an IP literal or ``localhost``) may not receive webhooks, or None."""
    if private_allowed():
        return None
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return _refusal(host, "loopback")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return None  # a name: resolved and checked before each delivery
    return None if ip.is_global else _refusal(host, ip)


def _refusal(host: str, address: object) -> str:
    return (
        f"webhook host {host!r} is {address}, not a public address: refused (a receiver "
        f"on a private network needs {ALLOW_PRIVATE}=1)"
    )


def signature(body: bytes, secret: str) -> str:
    """The header value signing ``body``: ``sha256=`` and the hex HMAC-SHA256.

    Example:
        >>> signature(b"{}", "s3cret")[:15]
        'sha256=adbde1ce'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is returned as an HTTPError: not delivered, not followed


_OPENER = urllib.request.build_opener(_NoRedirects)


def deliver(
    webhook: Webhook,
    payload: dict[str, Any],
    *,
    id_header: str = "X-OI-Event-Id",
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST ``payload`` to the webhook, retrying failures (connection errors, 5xx, 429).

    A receiver that refuses (another 4xx, or a redirect) or a destination that is not
    public is not tried again.

    Returns:
        A record of the delivery: ``url``, ``delivered``, ``attempts``, ``status`` (the
        last HTTP status, or None), ``error`` (the last failure, or None) and
        ``blocked`` (True when the destination was refused before any request).
    """
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    headers = {"Content-Type": "application/json", id_header: str(payload.get("id", ""))}
    if webhook.secret:
        headers[SIGNATURE_HEADER] = signature(body, webhook.secret)
    status, error = None, None
    for attempt in range(1, webhook.retries + 2):
        try:
            check_destination(str(webhook.url))
        except DataError as refused:
            return _record(webhook, False, attempt, None, str(refused), blocked=True)
        request = urllib.request.Request(str(webhook.url), data=body, headers=headers)
        try:
            with _OPENER.open(request, timeout=webhook.timeout_seconds) as response:
                status, error = response.status, None
        except urllib.error.HTTPError as failure:
            status, error = failure.code, f"HTTP {failure.code}"
            if 300 <= failure.code < 400:
                error += " (redirects are not followed)"
        except (urllib.error.URLError, OSError) as failure:
            status, error = None, str(getattr(failure, "reason", failure))
        if error is None:
            return _record(webhook, True, attempt, status, None)
        if status is not None and status < 500 and status != 429:
            break  # the receiver refused it: trying again would not help
        if attempt <= webhook.retries:
            sleep(webhook.backoff_seconds * 2 ** (attempt - 1))
    return _record(webhook, False, attempt, status, error)


def _record(
    webhook: Webhook,
    delivered: bool,
    attempts: int,
    status: int | None,
    error: str | None,
    *,
    blocked: bool = False,
) -> dict[str, Any]:
    return {
        "url": str(webhook.url),
        "delivered": delivered,
        "attempts": attempts,
        "status": status,
        "error": error,
        "blocked": blocked,
    }
