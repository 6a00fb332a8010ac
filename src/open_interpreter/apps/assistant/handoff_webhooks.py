"""Hand-offs sent to a person's tools: each hand-off of an assistant with a webhook is
POSTed there as JSON, signed, with retries, through the platform's webhooks
(:mod:`open_interpreter.services.webhooks`: receivers on the server's own network are
refused unless the deployment allows them).

The POST is sent from a background thread after the hand-off is stored, so a slow or
dead receiver never slows ``ask``; the hand-off keeps the delivery's record (``delivery``:
delivered, attempts, last status and error), shown with it in the queue. The body:

    {"id": "handoff-12", "event": "assistant.handoff", "assistant_id": "as_…",
     "assistant": "support", "handoff_id": 12, "question": "…", "reason": "…",
     "confidence": 0.21, "session_id": "…" or null, "created_at": "…"}

with ``X-OI-Event-Id: handoff-12`` (repeats of one hand-off carry the same id) and
``X-OI-Signature: sha256=<hex>`` when the webhook has a secret.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from open_interpreter.apps.assistant.tables import AssistantRow, HandoffRow
from open_interpreter.services.webhooks import Webhook, deliver
from open_interpreter.storage import Database
from open_interpreter.storage.tables import utcnow

logger = logging.getLogger(__name__)

EVENT = "assistant.handoff"
_SENDING: set[threading.Thread] = set()


def webhook_of(row: AssistantRow) -> Webhook | None:
    """The assistant's hand-off webhook, or None."""
    return Webhook(**row.handoff_webhook) if row.handoff_webhook else None


def webhook_view(row: AssistantRow) -> dict[str, Any] | None:
    """The webhook as the API shows it: its URL and whether it signs, never its secret."""
    webhook = webhook_of(row)
    if webhook is None:
        return None
    return {"url": str(webhook.url), "signed": bool(webhook.secret), "retries": webhook.retries}


def send_handoff(
    database: Database,
    row: AssistantRow,
    handoff_id: int,
    turn: dict[str, Any],
    *,
    session_id: str | None = None,
) -> threading.Thread | None:
    """POST hand-off ``handoff_id`` to the assistant's webhook from a background thread
    (None when it has no webhook); the delivery's record is stored on the hand-off."""
    webhook = webhook_of(row)
    if webhook is None:
        return None
    payload = {
        "id": f"handoff-{handoff_id}",
        "event": EVENT,
        "assistant_id": row.id,
        "assistant": row.name,
        "handoff_id": handoff_id,
        "question": turn.get("query") or turn.get("question"),
        "reason": turn.get("handoff_reason"),
        "confidence": turn.get("confidence"),
        "session_id": session_id,
        "created_at": utcnow().isoformat(),
    }
    thread = threading.Thread(
        target=_deliver_and_record,
        args=(database, webhook, payload, handoff_id),
        name=f"oi-handoff-{handoff_id}",
        daemon=True,
    )
    _SENDING.add(thread)
    thread.start()
    return thread


def wait_for_deliveries(timeout: float = 30.0) -> None:
    """Wait until the hand-offs being sent now are delivered or given up (a server
    stopping, or a test)."""
    for thread in list(_SENDING):
        thread.join(timeout)


def _deliver_and_record(
    database: Database, webhook: Webhook, payload: dict[str, Any], handoff_id: int
) -> None:
    try:
        record = deliver(webhook, payload)
    except Exception as error:  # never let a receiver's trouble kill the thread silently
        logger.warning("hand-off %s: webhook delivery failed: %s", handoff_id, error)
        record = {"url": str(webhook.url), "delivered": False, "error": str(error)}
    try:
        with database.session() as session:
            handoff = session.get(HandoffRow, handoff_id)
            if handoff is not None:  # the assistant may have been deleted meanwhile
                handoff.delivery = {**record, "at": utcnow().isoformat()}
                session.commit()
    except Exception:
        logger.warning("hand-off %s: storing its delivery failed", handoff_id, exc_info=True)
    finally:
        _SENDING.discard(threading.current_thread())
    if not record.get("delivered"):
        logger.warning("hand-off %s not delivered to %s: %s", handoff_id, record["url"], record)
