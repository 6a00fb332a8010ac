"""Webhooks never reach the server's own network (SSRF): loopback, private, link-local and
metadata addresses are refused when set and before each try, and redirects are not
followed, unless the deployment allows private receivers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from pydantic import ValidationError

from open_interpreter.errors import DataError
from open_interpreter.services.webhooks import ALLOW_PRIVATE, Webhook, check_destination, deliver


@pytest.fixture(autouse=True)
def private_receivers_refused(monkeypatch):
    monkeypatch.delenv(ALLOW_PRIVATE, raising=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10:8080/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_a_non_public_address_is_refused_when_the_webhook_is_set(url):
    with pytest.raises(ValidationError, match="not a public address"):
        Webhook(url=url)


def test_a_public_address_or_a_name_is_accepted_when_set():
    assert Webhook(url="https://93.184.216.34/hook").url.host == "93.184.216.34"
    assert Webhook(url="https://hooks.example.com/x").url.host == "hooks.example.com"


def test_a_name_resolving_to_a_private_address_is_refused_before_any_request(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))],
    )
    with pytest.raises(DataError, match=r"10\.0\.0\.7, not a public address"):
        check_destination("https://internal.example.com/hook")
    record = deliver(Webhook(url="https://internal.example.com/hook", retries=3), {"id": "e"})
    assert record["blocked"] is True and record["attempts"] == 1 and not record["delivered"]
    assert "OI_WEBHOOK_ALLOW_PRIVATE=1" in record["error"]


class _Redirecting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        _Redirecting.hits.append(self.path)
        if self.path == "/hook":
            self.send_response(307)
            self.send_header("Location", "/internal")
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def redirecting_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_with_private_receivers_allowed_redirects_are_still_not_followed(
    monkeypatch, redirecting_receiver
):
    monkeypatch.setenv(ALLOW_PRIVATE, "1")
    _Redirecting.hits.clear()
    record = deliver(Webhook(url=redirecting_receiver, retries=2), {"id": "e"})
    assert (record["delivered"], record["status"], record["attempts"]) == (False, 307, 1)
    assert "redirects are not followed" in record["error"]
    assert _Redirecting.hits == ["/hook"]
