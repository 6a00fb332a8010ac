"""Webhook delivery against a real local HTTP server: signature, retries, backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from open_interpreter.apps.monitor.settings import Webhook
from open_interpreter.apps.monitor.webhooks import SIGNATURE_HEADER, deliver


class Receiver:
    """A local HTTP server answering with the next status of ``statuses`` (then 200)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[Any, bytes]] = []  # headers: any case
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    thread = threading.Thread(target=started.server.serve_forever, daemon=True)
    thread.start()
    yield started
    started.server.shutdown()
    started.server.server_close()


def test_a_delivery_is_signed_with_hmac_sha256(receiver):
    record = deliver(Webhook(url=receiver.url, secret="s3cret"), {"id": "alr_1", "key": "x"})
    assert record == {
        "url": receiver.url,
        "delivered": True,
        "attempts": 1,
        "status": 200,
        "error": None,
        "blocked": False,
    }
    [(headers, body)] = receiver.requests
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert headers["X-OI-Alert-Id"] == "alr_1"
    assert json.loads(body) == {"id": "alr_1", "key": "x"}


def test_server_errors_are_retried_with_doubling_waits(receiver):
    receiver.statuses = [500, 503]
    waits: list[float] = []
    webhook = Webhook(url=receiver.url, retries=3, backoff_seconds=0.5)
    record = deliver(webhook, {"id": "a"}, sleep=waits.append)
    assert (record["delivered"], record["attempts"], waits) == (True, 3, [0.5, 1.0])
    assert SIGNATURE_HEADER not in receiver.requests[0][0]  # no secret, no signature


def test_a_refusal_is_not_retried_and_giving_up_is_recorded(receiver):
    receiver.statuses = [400]
    record = deliver(Webhook(url=receiver.url), {"id": "a"}, sleep=lambda s: None)
    assert (record["delivered"], record["attempts"], record["status"]) == (False, 1, 400)
    receiver.statuses = [500] * 5
    record = deliver(Webhook(url=receiver.url, retries=2), {"id": "a"}, sleep=lambda s: None)
    assert (record["delivered"], record["attempts"], record["error"]) == (False, 3, "HTTP 500")


def test_an_unreachable_receiver_is_recorded_not_raised(receiver):
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    record = deliver(
        Webhook(url=url, retries=1, timeout_seconds=1), {"id": "a"}, sleep=lambda s: None
    )
    assert record["delivered"] is False and record["attempts"] == 2 and record["error"]
