"""The Monitor face on a real database: idempotent ingestion, series, alerts with their
documents, de-duplication, reopening, and delivery to a real local webhook."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from open_interpreter.apps.monitor import AliasTable, EntityFinder, LexiconAnalyzer, Monitor
from open_interpreter.errors import DataError, NotFoundError

T0 = datetime(2024, 5, 1, 9, 0)
ALIASES = {
    "Acme": {"type": "company", "aliases": ["Acme Corp", "ACME"]},
    "Jane Doe": {"type": "person", "aliases": []},
}
GOOD = "Acme Corp reported strong gains and record profits."
BAD = "Acme shares fell after losses and a fraud investigation."
NEUTRAL = "Acme said the meeting is on Tuesday."


def news(start: int, texts: list[str], minutes: int = 5) -> list[dict]:
    return [
        {
            "id": f"d{start + i}",
            "time": (T0 + timedelta(minutes=minutes * (start + i))),
            "source": "wire",
            "text": text,
        }
        for i, text in enumerate(texts)
    ]


def lexicon_monitor(db, **settings) -> Monitor:
    analyzer = LexiconAnalyzer(EntityFinder(AliasTable(ALIASES)))
    return Monitor("acme", database=db, analyzer=analyzer, aliases=ALIASES, **settings)


def test_ingest_is_idempotent_by_document_id(db):
    monitor = lexicon_monitor(db)
    first = monitor.ingest(news(0, [GOOD, BAD, BAD]))
    assert (first.received, first.stored, first.duplicates) == (3, 3, 0)
    again = monitor.ingest(news(1, [BAD, BAD, GOOD, GOOD]))  # d1, d2 known
    assert (again.received, again.stored, again.duplicates) == (4, 2, 2)
    with pytest.raises(DataError, match="documents:2: document is missing text"):
        monitor.ingest([news(9, [GOOD])[0], {"id": "x", "time": T0, "source": "s"}])


def test_windows_are_stored_as_series_per_entity(db):
    monitor = lexicon_monitor(db, window_minutes=30, step_minutes=10)
    monitor.ingest(news(0, [GOOD, BAD, BAD, NEUTRAL, BAD, GOOD, BAD, BAD, BAD, BAD]))
    assert monitor.keys() == ["entity:Acme"]
    series = monitor.series("entity:Acme")
    # documents every 5 minutes until 09:45: windows close at 09:10 ... 09:40
    assert [p["window_end"] for p in series] == [
        T0 + timedelta(minutes=m) for m in (10, 20, 30, 40)
    ]
    first = series[0]  # [08:40, 09:10): GOOD, BAD
    assert (first["volume"], first["share_negative"]) == (2, 0.5)
    assert series[2]["volume"] == 6 and series[2]["mean_sentiment"] < 0
    assert monitor.series("entity:Acme", start=T0 + timedelta(minutes=30)) == series[2:]


def test_a_threshold_alert_is_stored_with_its_documents_once(db):
    rule = {
        "name": "negative",
        "kind": "threshold",
        "above": 0.6,
        "min_volume": 3,
        "cooldown_minutes": 0,
    }
    monitor = lexicon_monitor(db, window_minutes=30, step_minutes=10, rules=[rule])
    texts = [GOOD, GOOD, GOOD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]  # every 5 minutes
    result = monitor.ingest(news(0, texts))
    [alert] = result.alerts  # the window [09:10, 09:40): 5 of 6 negative
    assert (alert["rule"], alert["key"], alert["time"]) == (
        "negative",
        "entity:Acme",
        "2024-05-01T09:40:00",
    )
    assert alert["value"] == round(5 / 6, 6)
    assert alert["document_ids"] == ["d7", "d6", "d5", "d4", "d3", "d2"]
    assert monitor.ingest(news(0, texts)).alerts == []  # known documents: nothing new
    reopened = Monitor.open("acme", database=db, analyzer=monitor.analyzer)
    later = reopened.ingest(news(20, [GOOD]))  # closes the windows up to 10:40
    assert [a["time"][11:16] for a in later.alerts] == ["09:50", "10:00"]
    assert [a["time"][11:16] for a in reopened.alerts()] == ["10:00", "09:50", "09:40"]


def test_opening_an_unknown_monitor_says_so(db):
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        Monitor.open("nope", database=db)


def test_detector_alerts_reach_a_real_webhook_signed(db):
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(
                (
                    self.headers["X-OI-Signature"],
                    self.rfile.read(int(self.headers["Content-Length"])),
                )
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monitor = lexicon_monitor(
            db,
            rules=[
                {"name": "drop", "kind": "page-hinkley", "threshold": 5, "cooldown_minutes": 10_000}
            ],
            webhooks=[{"url": f"http://127.0.0.1:{server.server_port}/", "secret": "k"}],
        )
        result = monitor.replay(news(0, [GOOD] * 60 + [BAD] * 30, minutes=1), batch_size=16)
    finally:
        server.shutdown()
        server.server_close()
    [alert] = result.alerts
    assert alert["kind"] == "page-hinkley" and alert["deliveries"][0]["delivered"]
    assert alert["time"] >= "2024-05-01T10:00:00"  # after the turn at document 60
    signature, body = received[0]
    assert json.loads(body)["id"] == alert["id"] and signature.startswith("sha256=")
    assert monitor.alerts()[0]["deliveries"][0]["status"] == 204
