"""Alert delivery: a JSON POST signed with HMAC-SHA256, retried with exponential backoff,
through the platform's webhooks (:mod:`open_interpreter.services.webhooks`, which also
refuses receivers on non-public addresses).

The receiver checks ``X-OI-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body
under the webhook's secret (:func:`signature`), and may drop repeats by ``X-OI-Alert-Id``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from open_interpreter.services import webhooks
from open_interpreter.services.webhooks import SIGNATURE_HEADER, Webhook, signature

__all__ = ["ALERT_ID_HEADER", "SIGNATURE_HEADER", "Webhook", "deliver", "signature"]

ALERT_ID_HEADER = "X-OI-Alert-Id"


def deliver(
    webhook: Webhook,
    payload: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST the alert ``payload`` to the webhook (see :func:`webhooks.deliver`)."""
    return webhooks.deliver(webhook, payload, id_header=ALERT_ID_HEADER, sleep=sleep)
