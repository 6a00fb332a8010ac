"""``GET /v1/monitors/{id}/alerts/stream`` over HTTP: an alert stored after the stream
opened arrives on it, ``Last-Event-ID`` / ``?after=`` resume skips what was seen, a
keep-alive comment when idle, the per-key cap and the maximum life, and the stream ends
when its monitor is deleted."""

from __future__ import annotations

import json
import threading

import pytest

from open_interpreter.serving.routes import monitor_stream
from open_interpreter.serving.routes.monitor_stream import StreamLimits

from ...fixtures.api import problem
from .test_api import BAD, GOOD, RULE, batch, create, headers

FAST = StreamLimits(keepalive_seconds=0.3, max_streams_per_key=2, max_seconds=30, poll_seconds=0.05)


@pytest.fixture(autouse=True)
def fast_streams(monkeypatch):
    monkeypatch.setattr(monitor_stream, "LIMITS", FAST)


class Events:
    """The events of one streamed answer, read in turn."""

    def __init__(self, response):
        self.lines = response.iter_lines()

    def until(self, wanted: set[str]) -> list[dict]:
        """Events (comments as ``{"comment": ...}``) up to the first of a type in ``wanted``."""
        events, block = [], []
        for line in self.lines:
            if line:
                block.append(line)
                continue
            if not block:
                continue
            fields: dict = {}
            for item in block:
                name, _, value = item.partition(":")
                fields[name or "comment"] = value.strip()
            block = []
            if "data" in fields:
                fields["data"] = json.loads(fields["data"])
            events.append(fields)
            if fields.get("event") in wanted or ("comment" in fields and "comment" in wanted):
                return events
        return events


def read_events(response, until: set[str]) -> list[dict]:
    """A fresh stream's events up to the first of a type in ``until``."""
    return Events(response).until(until)


def alerts_in(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("event") == "alert"]


def post(client, hdrs, mid: str, start: int, texts: list[str]) -> dict:
    answer = client.post(f"/v1/monitors/{mid}/documents", headers=hdrs, json=batch(start, texts))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_new_alert_arrives_live_and_resume_skips_what_was_seen(client, db):
    alice = headers(db, "train")
    mid = create(client, alice, rules=[RULE])
    first = post(client, alice, mid, 0, [BAD] * 8)  # an alert before the stream opens
    assert len(first["alerts"]) == 1
    url = f"/v1/monitors/{mid}/alerts/stream"
    with client.stream("GET", url, headers=alice) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Events(response)
        opening = stream.until({"progress"})
        assert opening[0]["retry"] == "2000" and not alerts_in(opening)
        later = threading.Timer(0.2, post, (client, alice, mid, 40, [GOOD] * 2 + [BAD] * 10))
        later.start()
        events = stream.until({"alert"})
        later.join()
    live = alerts_in(events)
    assert len(live) == 1 and live[0]["data"]["rule"] == "negative"
    assert live[0]["data"]["key"] == "entity:Acme" and live[0]["data"]["time"] >= "2024-05-01T12"

    everything = client.get(f"/v1/monitors/{mid}/alerts", headers=alice).json()["data"]
    assert len(everything) == 2
    with client.stream("GET", url, headers=alice, params={"after": "0"}) as response:
        replayed = alerts_in(read_events(response, {"alert"}))
    first_id = replayed[0]["id"]
    assert replayed[0]["data"]["id"] == first["alerts"][0]["id"]
    resumed_by = [{"Last-Event-ID": first_id}, {}]
    params = [{"after": "0"}, {"after": first_id}]  # the header wins over ?after=
    for extra, query in zip(resumed_by, params, strict=True):
        with client.stream("GET", url, headers={**alice, **extra}, params=query) as response:
            resumed = alerts_in(read_events(response, {"alert"}))
        assert [e["data"]["id"] for e in resumed] == [live[0]["data"]["id"]]
        assert resumed[0]["id"] == live[0]["id"]


def test_idle_keepalive_cap_lifetime_deletion_and_bad_input(client, db, monkeypatch):
    alice, bob = headers(db, "train"), headers(db, "train")
    mid = create(client, alice, rules=[RULE])
    url = f"/v1/monitors/{mid}/alerts/stream"
    problem(client.get(url, headers=bob), 404, "not_found")
    problem(client.get(url), 401, "unauthorized")
    problem(client.get(url, headers=alice, params={"after": "yesterday"}), 400, "bad_request")
    bad_header = {**alice, "Last-Event-ID": "1-2-3"}
    problem(client.get(url, headers=bad_header), 400, "bad_request")

    with client.stream("GET", url, headers=alice) as one:
        first = Events(one)
        assert "comment" in first.until({"comment"})[-1]  # idle: a keep-alive comment
        with client.stream("GET", url, headers=alice) as two:
            problem(client.get(url, headers=alice), 429, "too_many_streams")
            assert client.get(f"/v1/monitors/{mid}", headers=alice).status_code == 200
            threading.Timer(
                0.2, client.delete, (f"/v1/monitors/{mid}",), {"headers": alice}
            ).start()
            ended = read_events(two, {"end"})[-1]
        assert ended["data"] == {"reason": "deleted"}
        assert first.until({"end"})[-1]["data"] == {"reason": "deleted"}

    other = create(client, alice, name="other")
    monkeypatch.setattr(monitor_stream, "LIMITS", StreamLimits(max_seconds=0.2, poll_seconds=0.05))
    for _ in range(3):  # the slots of ended streams were given back
        with client.stream("GET", f"/v1/monitors/{other}/alerts/stream", headers=alice) as r:
            assert read_events(r, {"end"})[-1]["data"] == {"reason": "lifetime"}
