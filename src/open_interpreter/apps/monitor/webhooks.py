"""Alert delivery: a JSON POST signed with HMAC-SHA256, retried with exponential backoff.

The receiver checks ``X-OI-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body
under the webhook's secret (:func:`signature`), and may drop repeats by ``X-OI-Alert-Id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from open_interpreter.apps.monitor.settings import Webhook

SIGNATURE_HEADER = "X-OI-Signature"


def signature(body: bytes, secret: str) -> str:
    """The header value signing ``body``: ``sha256=`` and the hex HMAC-SHA256.

    Example:
        >>> signature(b"{}", "s3cret")[:15]
        'sha256=adbde1ce'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    webhook: Webhook,
    payload: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST ``payload`` to the webhook, retrying failures (connection errors, 5xx, 429).

    Returns:
        A record of the delivery: ``url``, ``delivered``, ``attempts``, ``status`` (the
        last HTTP status, or None) and ``error`` (the last failure, or None).
    """
    body = json.dumps(payload, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "X-OI-Alert-Id": str(payload.get("id", ""))}
    if webhook.secret:
        headers[SIGNATURE_HEADER] = signature(body, webhook.secret)
    status, error = None, None
    for attempt in range(1, webhook.retries + 2):
        request = urllib.request.Request(str(webhook.url), data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=webhook.timeout_seconds) as response:
                status, error = response.status, None
        except urllib.error.HTTPError as failure:
            status, error = failure.code, f"HTTP {failure.code}"
        except (urllib.error.URLError, OSError) as failure:
            status, error = None, str(getattr(failure, "reason", failure))
        if error is None:
            return _record(webhook, True, attempt, status, None)
        if status is not None and status < 500 and status != 429:
            break  # the receiver refused it: trying again would not help
        if attempt <= webhook.retries:
            sleep(webhook.backoff_seconds * 2 ** (attempt - 1))
    return _record(webhook, False, attempt, status, error)


def _record(webhook: Webhook, delivered: bool, attempts: int, status, error) -> dict[str, Any]:
    return {
        "url": str(webhook.url),
        "delivered": delivered,
        "attempts": attempts,
        "status": status,
        "error": error,
    }
