"""``/v1/monitors`` over HTTP: ownership and scopes, idempotent batches with bounded size,
422 naming the bad item, series, the documents behind a point, alerts with their
documents, rules, and webhook delivery in the background (a receiver that fails twice,
then accepts; a receiver that hangs does not hold up ingestion)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from open_interpreter.apps.monitor.webhooks import signature
from open_interpreter.services.api_keys import create_key
from open_interpreter.services.webhooks import ALLOW_PRIVATE

from ...fixtures.api import problem

ALIASES = {"Acme": {"type": "company", "aliases": ["Acme Corp"]}}
BAD = "Acme shares fell after losses and a fraud investigation."
GOOD = "Acme Corp reported strong gains and record profits."
T0 = datetime(2024, 5, 1, 9, 0)
RULE = {"name": "negative", "kind": "threshold", "above": 0.6, "min_volume": 3}


def headers(db, scope: str) -> dict[str, str]:
    with db.session() as session:
        _, secret = create_key(session, name=f"k-{scope}-{time.monotonic_ns()}", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def batch(start: int, texts: list[str]) -> dict:
    return {
        "documents": [
            {
                "id": f"d{start + i}",
                "time": (T0 + timedelta(minutes=5 * (start + i))).isoformat(),
                "source": "wire",
                "text": text,
            }
            for i, text in enumerate(texts)
        ]
    }


def create(client, hdrs, name="acme", **settings) -> str:
    body = {
        "name": name,
        "sentiment": "lexicon",
        "aliases": ALIASES,
        "window_minutes": 30,
        "step_minutes": 10,
        **settings,
    }
    response = client.post("/v1/monitors", headers=hdrs, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def keys(db):
    return {
        "alice": headers(db, "train"),
        "bob": headers(db, "train"),
        "reader": headers(db, "predict"),
        "admin": headers(db, "admin"),
    }


def test_monitors_belong_to_their_key_and_need_the_right_scope(client, keys):
    mine = create(client, keys["alice"])
    problem(
        client.post("/v1/monitors", headers=keys["reader"], json={"name": "x"}), 403, "forbidden"
    )
    problem(client.get(f"/v1/monitors/{mine}", headers=keys["bob"]), 404, "not_found")
    problem(client.delete(f"/v1/monitors/{mine}", headers=keys["bob"]), 404, "not_found")
    assert client.get("/v1/monitors", headers=keys["bob"]).json()["count"] == 0
    listed = client.get("/v1/monitors", headers=keys["admin"]).json()
    assert [m["id"] for m in listed["data"]] == [mine]
    again = client.post("/v1/monitors", headers=keys["bob"], json={"name": "acme"})
    problem(again, 409, "conflict")
    hook = {"url": "http://127.0.0.1:9/", "secret": "s"}
    problem(
        client.post("/v1/monitors", headers=keys["alice"], json={"name": "h", "webhooks": [hook]}),
        403,
        "forbidden",
    )
    bad = client.post(
        "/v1/monitors", headers=keys["alice"], json={"name": "w", "window_minutes": 25}
    )
    problem(bad, 422, "validation_error")
    with pytest.MonkeyPatch.context() as patch:  # a server that keeps webhooks public
        patch.delenv(ALLOW_PRIVATE)
        metadata = {"url": "http://169.254.169.254/latest/meta-data/"}
        inward = client.post(
            "/v1/monitors", headers=keys["admin"], json={"name": "m", "webhooks": [metadata]}
        )
        assert "not a public address" in problem(inward, 422, "validation_error")["detail"]
    assert client.delete(f"/v1/monitors/{mine}", headers=keys["alice"]).status_code == 204
    problem(client.get(f"/v1/monitors/{mine}", headers=keys["alice"]), 404, "not_found")


def test_documents_series_points_alerts_and_rules(client, keys):
    alice = keys["alice"]
    mid = create(client, alice, rules=[RULE])
    texts = [GOOD, GOOD, GOOD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]
    first = client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=batch(0, texts))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["received"], body["stored"], body["duplicates"]) == (10, 10, 0)
    assert [a["time"] for a in body["alerts"]] == ["2024-05-01T09:40:00"]
    again = client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=batch(8, [BAD] * 4))
    assert (again.json()["stored"], again.json()["duplicates"]) == (2, 2)

    bad = batch(20, [GOOD, GOOD, GOOD])
    bad["documents"][2]["time"] = "yesterday"
    answer = problem(
        client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=bad),
        422,
        "invalid_document",
    )
    assert answer["index"] == 2 and "documents[2]" in answer["detail"]
    too_many = {"documents": batch(0, [GOOD] * 501)["documents"]}
    problem(
        client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=too_many),
        422,
        "validation_error",
    )
    too_long = batch(30, ["x" * 20_001])
    problem(
        client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=too_long),
        422,
        "validation_error",
    )
    nul = batch(40, ["Acme \x00 fell"])
    problem(
        client.post(f"/v1/monitors/{mid}/documents", headers=alice, json=nul),
        422,
        "invalid_document",
    )
    for time_given in ("9999-12-31T23:59:59", 1e30, float("nan"), True):
        odd = batch(40, [GOOD])
        odd["documents"][0]["time"] = time_given
        answer = client.post(
            f"/v1/monitors/{mid}/documents",
            headers={**alice, "Content-Type": "application/json"},
            content=json.dumps(odd),
        )
        assert answer.status_code == 422, (time_given, answer.text)
    assert client.get(f"/v1/monitors/{mid}", headers=alice).json()["documents"] == 12

    series = client.get(f"/v1/monitors/{mid}/series?entity=Acme", headers=alice).json()["data"]
    [acme] = series
    assert acme["key"] == "entity:Acme" and acme["points"][0]["window_end"] == "2024-05-01T09:10:00"
    recent = client.get(f"/v1/monitors/{mid}/series?entity=Acme&window=20m", headers=alice).json()
    assert len(recent["data"][0]["points"]) == 3  # the last point and the two before it
    problem(
        client.get(f"/v1/monitors/{mid}/series?window=soon", headers=alice), 422, "invalid_query"
    )
    far = client.get(f"/v1/monitors/{mid}/series?entity=Acme&window=999999d", headers=alice)
    assert len(far.json()["data"][0]["points"]) == len(acme["points"])
    early = {"key": "entity:Acme", "at": "0001-01-01T00:00:00"}
    problem(
        client.get(f"/v1/monitors/{mid}/documents", headers=alice, params=early),
        422,
        "invalid_query",
    )
    behind = client.get(
        f"/v1/monitors/{mid}/documents",
        headers=alice,
        params={"key": "entity:Acme", "at": "2024-05-01T09:10:00"},
    ).json()["data"]
    assert [d["id"] for d in behind] == ["d1", "d0"] and behind[0]["text"] == GOOD

    nul_query = client.get(f"/v1/monitors/{mid}/alerts?key=a%00", headers=alice)
    problem(nul_query, 400, "bad_request")  # the middleware refuses a NUL in any URL
    [alert] = client.get(f"/v1/monitors/{mid}/alerts", headers=keys["admin"]).json()["data"]
    assert alert["document_ids"][0] == "d7" and alert["documents"][0]["text"] == BAD

    rules = client.get(f"/v1/monitors/{mid}/rules", headers=alice).json()["data"]
    assert [r["name"] for r in rules] == ["negative"]
    drop = {"name": "drop", "kind": "page-hinkley", "threshold": 3}
    assert client.post(f"/v1/monitors/{mid}/rules", headers=alice, json=drop).status_code == 201
    problem(client.post(f"/v1/monitors/{mid}/rules", headers=alice, json=drop), 409, "conflict")
    problem(
        client.post(f"/v1/monitors/{mid}/rules", headers=keys["reader"], json=drop),
        403,
        "forbidden",
    )
    problem(
        client.post(
            f"/v1/monitors/{mid}/rules", headers=alice, json={"name": "t", "kind": "threshold"}
        ),
        422,
        "validation_error",
    )
    assert client.delete(f"/v1/monitors/{mid}/rules/negative", headers=alice).status_code == 204
    problem(client.delete(f"/v1/monitors/{mid}/rules/negative", headers=alice), 404, "not_found")
    names = [
        r["name"] for r in client.get(f"/v1/monitors/{mid}/rules", headers=alice).json()["data"]
    ]
    assert names == ["drop"]


class Receiver:
    """A local webhook: the first ``failures`` POSTs answer 500, the rest 204; the very
    first waits for ``release`` when ``hang`` is set."""

    def __init__(self, failures: int, hang: bool = False):
        self.bodies: list[tuple[bytes, str]] = []
        self.statuses: list[int] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hang and not receiver.statuses:
                    receiver.release.wait(30)
                status = 500 if len(receiver.statuses) < failures else 204
                receiver.statuses.append(status)
                receiver.bodies.append((body, self.headers.get("X-OI-Signature", "")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def wait_for(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_webhook_failing_twice_gets_the_alert_in_the_background(client, keys):
    receiver = Receiver(failures=2, hang=True)
    admin = keys["admin"]
    try:
        hook = {"url": receiver.url, "secret": "s3cret", "retries": 3, "backoff_seconds": 0.05}
        mid = create(client, admin, rules=[RULE], webhooks=[hook])
        texts = [GOOD, GOOD, GOOD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]
        started = time.monotonic()
        answer = client.post(f"/v1/monitors/{mid}/documents", headers=admin, json=batch(0, texts))
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        [alert] = answer.json()["alerts"]
        assert alert["deliveries"][0]["delivered"] is False
        assert took < 20  # the receiver holds the first try for 30 s: ingestion did not wait
        receiver.release.set()

        def delivered():
            data = client.get(f"/v1/monitors/{mid}/alerts", headers=admin).json()["data"]
            record = data[0]["deliveries"][0]
            return record if record["state"] != "pending" else None

        record = wait_for(delivered)
        assert (record["delivered"], record["attempts"], record["status"]) == (True, 3, 204)
        assert receiver.statuses == [500, 500, 204]
        body, signed = receiver.bodies[-1]
        assert signed == signature(body, "s3cret")
        assert b'"monitor": "acme"' in body
    finally:
        receiver.close()
