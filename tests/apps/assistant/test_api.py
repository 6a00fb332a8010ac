"""``/v1/assistants`` with the real minilm-l6 encoder on a 24-question FAQ: create (file,
dataset, bad files), ask (JSON and SSE), conversations with follow-ups, feedback, the
hand-off queue, scopes and owners. One database and one assistant for the module."""

from __future__ import annotations

import csv
import io
import json

import pytest

from open_interpreter.apps.assistant import service
from open_interpreter.storage import Database

from ...fixtures.api import key, make_client, problem

pytestmark = pytest.mark.integration

TOPICS = {
    "passport": ("renew my passport", "a passport",
                 "Passports are renewed at the police service centre with a photo.",
                 "A new passport costs 400 SEK, paid when you apply.",
                 "A passport is ready about two weeks after you apply."),
    "licence": ("get a driving licence", "a driving licence",
                "Book a theory test and a driving test with the Transport Agency.",
                "The theory test costs 325 SEK and the driving test 800 SEK.",
                "Most learners take four to six months to be ready for the driving test."),
    "permit": ("apply for a building permit", "a building permit",
               "Send drawings and a site plan to the municipal building committee.",
               "The fee follows the municipal tariff, about 25,000 SEK for a house.",
               "The committee decides within ten weeks of a complete application."),
    "parking": ("get a residents' parking permit", "a residents' parking permit",
                "Apply on the city's traffic office web page with your car's registration.",
                "A residents' parking permit costs 900 SEK a year.",
                "The permit is issued within five working days."),
    "fishing": ("buy a fishing licence", "a fishing licence",
                "Fishing licences are sold by the county's fishing association.",
                "A year's fishing licence costs 250 SEK; a day card 60 SEK.",
                "A fishing licence is valid at once from the moment you buy it."),
    "library": ("get a library card", "a library card",
                "Show your identity card at any city library to get a library card.",
                "A library card is free for everyone living in the city.",
                "You get the card at once at the library desk."),
    "waste": ("order a bulky waste collection", "a bulky waste collection",
              "Order a bulky waste collection from the recycling service's customer centre.",
              "A bulky waste collection costs 500 SEK per cubic metre.",
              "The collection comes within two weeks of your order."),
    "school": ("enrol my child in school", "school enrolment",
               "Enrol your child through the education office's e-service in January.",
               "Municipal schools charge no fee.",
               "Places are announced in April."),
}  # fmt: skip
OFF_TOPIC = "Who won the football match yesterday?"


def faq_csv() -> bytes:
    """The 24 pairs as CSV (id, q, a): how to, cost and time of eight council services."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "q", "a"])
    for name, (do, thing, how, cost, time) in TOPICS.items():
        writer.writerow([f"{name}-how", f"How do I {do}?", how])
        writer.writerow([f"{name}-cost", f"How much does {thing} cost?", cost])
        writer.writerow([f"{name}-time", f"How long does it take to get {thing}?", time])
    return buffer.getvalue().encode()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """A started app on one SQLite database, its keys, and one assistant built from the FAQ
    by the ``train`` key."""
    folder = tmp_path_factory.mktemp("assistant_api")
    database = Database(f"sqlite:///{folder / 'oi.db'}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OI_HOME", str(folder / "oi_home"))
        with make_client(database) as client:
            keys = {scope: key(database, scope) for scope in ("predict", "train", "admin")}
            keys["other"] = key(database, "train")
            response = client.post(
                "/v1/assistants",
                headers=keys["train"],
                data={"name": "council"},
                files={"file": ("council.csv", faq_csv())},
            )
            assert response.status_code == 201, response.text
            yield client, keys, response.json()
    database.dispose()


def test_create_embeds_the_file_and_lists_it(api):
    client, keys, made = api
    assert made["num_entries"] == 24 and made["source"] == "file council.csv"
    assert made["encoder"] == "minilm-l6" and made["threshold"] == pytest.approx(0.39)
    listed = client.get("/v1/assistants", headers=keys["predict"]).json()
    assert made["id"] in [a["id"] for a in listed["data"]]
    one = client.get(f"/v1/assistants/{made['id']}", headers=keys["predict"])
    assert one.json()["name"] == "council"
    problem(client.get("/v1/assistants/as_missing", headers=keys["predict"]), 404, "not_found")


def test_bad_files_answer_422_with_the_line_and_no_server_path(api):
    client, keys, _ = api
    bad = b"id,q,a\nx-1,How?,Like this.\nx-2,,No question here.\n"
    response = client.post(
        "/v1/assistants", headers=keys["train"], data={"name": "bad"},
        files={"file": ("faq.csv", bad)},
    )  # fmt: skip
    body = problem(response, 422, "invalid_file")
    assert "faq.csv" in body["detail"] and "3" in body["detail"], body
    assert "/tmp" not in body["detail"] and "upload" not in body["detail"]
    wrong = client.post(
        "/v1/assistants", headers=keys["train"], data={"name": "bad"},
        files={"file": ("faq.exe", b"MZ")},
    )  # fmt: skip
    problem(wrong, 422, "invalid_file")
    none = client.post("/v1/assistants", headers=keys["train"], data={"name": "bad"})
    problem(none, 422, "validation_error")
    two = client.post(
        "/v1/assistants", headers=keys["train"], data={"name": "bad", "faq": "zaragoza"},
        files={"file": ("faq.csv", faq_csv())},
    )  # fmt: skip
    problem(two, 422, "validation_error")
    by_predict = {"name": "x", "faq": "zaragoza"}
    problem(
        client.post("/v1/assistants", headers=keys["predict"], data=by_predict), 403, "forbidden"
    )


def test_an_assistant_from_a_stored_dataset(api):
    client, keys, _ = api
    rows = b"text,label\nHow do I reset my router?,Hold the reset button for ten seconds.\n"
    rows += b"Where is my invoice?,Invoices are under Billing in your account.\n"
    uploaded = client.post(
        "/v1/datasets", headers=keys["train"], data={"name": "pairs"},
        files={"file": ("pairs.csv", rows)},
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    made = client.post(
        "/v1/assistants", headers=keys["train"],
        data={"name": "router", "dataset_id": uploaded.json()["id"]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    reply = client.post(
        f"/v1/assistants/{made.json()['id']}/ask", headers=keys["predict"],
        json={"question": "my invoice, where can I find it?"},
    ).json()  # fmt: skip
    assert reply["citations"][0]["id"] == "row-2" and not reply["handed_off"]
    # another key does not see the dataset, so cannot build from it
    other = client.post(
        "/v1/assistants", headers=keys["other"],
        data={"name": "router", "dataset_id": uploaded.json()["id"]},
    )  # fmt: skip
    problem(other, 404, "not_found")
    assert (
        client.delete(f"/v1/assistants/{made.json()['id']}", headers=keys["train"]).status_code
        == 204
    )


def test_ask_answers_with_citations_and_ranks(api):
    client, keys, made = api
    reply = client.post(
        f"/v1/assistants/{made['id']}/ask", headers=keys["predict"],
        json={"question": "What does a residents' parking permit cost per year?"},
    ).json()  # fmt: skip
    assert reply["answer"] == "A residents' parking permit costs 900 SEK a year."
    first = reply["citations"][0]
    assert first["id"] == "parking-cost" and first["fused_rank"] == 1
    assert first["dense_rank"] >= 1 and first["cosine"] == reply["confidence"]
    assert len(reply["citations"]) == 3 and reply["id"] is None  # one-off: nothing stored
    debug = client.post(
        f"/v1/assistants/{made['id']}/retrieve", headers=keys["predict"],
        json={"question": "parking permit price", "k": 24},
    ).json()["candidates"]  # fmt: skip
    assert [c["fused_rank"] for c in debug] == list(range(1, 25))
    assert any(c["bm25_rank"] is None for c in debug)  # shares no word with the question


def test_ask_streams_retrieval_answer_pieces_and_done(api):
    client, keys, made = api
    with client.stream(
        "POST", f"/v1/assistants/{made['id']}/ask",
        headers={**keys["predict"], "Accept": "text/event-stream"},
        json={"question": "How long does it take to get a passport?"},
    ) as response:  # fmt: skip
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.iter_lines())
    names = [name for name, _ in events]
    assert names[0] == "retrieval" and names[-1] == "done" and names.count("answer") >= 2
    assert events[0][1]["citations"][0]["id"] == "passport-time"
    text = "".join(data["text"] for name, data in events if name == "answer")
    assert text == events[-1][1]["answer"] == "A passport is ready about two weeks after you apply."


def test_a_follow_up_is_resolved_against_the_previous_turn(api):
    client, keys, made = api
    base = f"/v1/assistants/{made['id']}"
    headers = keys["predict"]
    standalone = client.post(
        f"{base}/ask", headers=headers, json={"question": "How long does it take?"}
    ).json()
    assert standalone["citations"][0]["id"] != "library-time"  # alone, it is ambiguous
    sid = client.post(f"{base}/sessions", headers=headers).json()["id"]
    first = client.post(
        f"{base}/ask", headers=headers,
        json={"question": "How do I get a library card?", "session_id": sid},
    ).json()  # fmt: skip
    second = client.post(
        f"{base}/ask", headers=headers,
        json={"question": "How long does it take?", "session_id": sid},
    ).json()  # fmt: skip
    assert first["citations"][0]["id"] == "library-how"
    assert second["query"] == "How do I get a library card? How long does it take?"
    assert second["citations"][0]["id"] == "library-time" and second["number"] == 2
    third = client.post(
        f"{base}/ask", headers=headers,
        json={"question": "Where do I order a bulky waste collection?", "session_id": sid},
    ).json()  # fmt: skip
    assert third["query"] == third["question"]  # a full question stands alone
    stored = client.get(f"{base}/sessions/{sid}", headers=headers).json()
    assert [t["number"] for t in stored["turns"]] == [1, 2, 3]
    assert stored["turns"][1]["citations"][0]["id"] == "library-time"
    # another key's conversation reads as missing
    problem(client.get(f"{base}/sessions/{sid}", headers=keys["other"]), 404, "not_found")
    in_theirs = {"question": "Hi", "session_id": sid}
    problem(client.post(f"{base}/ask", headers=keys["other"], json=in_theirs), 404, "not_found")


def test_feedback_is_stored_on_the_turn_for_training(api, tmp_path):
    client, keys, made = api
    base = f"/v1/assistants/{made['id']}"
    headers = keys["predict"]
    sid = client.post(f"{base}/sessions", headers=headers).json()["id"]
    turn = client.post(
        f"{base}/ask", headers=headers, json={"question": "Is school free?", "session_id": sid}
    ).json()
    url = f"{base}/sessions/{sid}/turns/{turn['id']}/feedback"
    given = client.post(url, headers=headers, json={"rating": "down", "correction": "Yes, free."})
    assert given.status_code == 201 and given.json()["rating"] == "down"
    assert client.post(url, headers=headers, json={"rating": "up"}).status_code == 201
    problem(client.post(url, headers=headers, json={}), 400, "invalid_data")
    problem(client.post(url, headers=headers, json={"rating": "meh"}), 422, "validation_error")
    problem(client.post(url, headers=keys["other"], json={"rating": "up"}), 404, "not_found")
    stored = client.get(f"{base}/sessions/{sid}", headers=headers).json()
    assert [f["rating"] for f in stored["turns"][0]["feedback"]] == ["down", "up"]
    database = client.app.state.oi.db
    examples = service.feedback_examples(database, made["id"])
    assert {"question": "Is school free?", "correction": "Yes, free."}.items() <= examples[
        -2
    ].items()


def test_hand_offs_are_queued_listed_by_state_and_resolved_by_the_owner(api):
    client, keys, made = api
    base = f"/v1/assistants/{made['id']}"
    reply = client.post(f"{base}/ask", headers=keys["predict"], json={"question": OFF_TOPIC})
    reply = reply.json()
    assert reply["handed_off"] and reply["answer"] is None and reply["handoff_id"]
    assert "below the threshold" in reply["handoff_reason"]
    queue = client.get(f"{base}/handoffs?state=open", headers=keys["train"]).json()
    assert reply["handoff_id"] in [h["id"] for h in queue["data"]]
    problem(client.get(f"{base}/handoffs", headers=keys["other"]), 403, "forbidden")
    problem(client.get(f"{base}/handoffs", headers=keys["predict"]), 403, "forbidden")
    resolve = f"{base}/handoffs/{reply['handoff_id']}/resolve"
    problem(client.post(resolve, headers=keys["other"]), 403, "forbidden")
    resolved = client.post(resolve, headers=keys["admin"]).json()
    assert resolved["state"] == "resolved" and resolved["resolved_at"]
    still_open = client.get(f"{base}/handoffs?state=open", headers=keys["train"]).json()
    assert reply["handoff_id"] not in [h["id"] for h in still_open["data"]]
    problem(client.post(f"{base}/handoffs/999999/resolve", headers=keys["train"]), 404, "not_found")


class _Receiver:
    """A local webhook receiver: the first POST answers 503, the next ones 200."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[tuple[dict, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((json.loads(body), self.headers["X-OI-Signature"]))
                self.send_response(503 if len(receiver.bodies) == 1 else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/handoffs"


def test_hand_offs_are_posted_signed_to_the_webhook_an_admin_set(api, monkeypatch):
    import threading

    from open_interpreter.apps.assistant.handoff_webhooks import wait_for_deliveries
    from open_interpreter.services.webhooks import ALLOW_PRIVATE, signature

    client, keys, made = api
    base = f"/v1/assistants/{made['id']}"
    monkeypatch.delenv(ALLOW_PRIVATE, raising=False)
    public = {"url": "https://hooks.example.com/handoffs"}
    by_train = client.put(f"{base}/handoff-webhook", headers=keys["train"], json=public)
    problem(by_train, 403, "forbidden")
    hook = {"url": "http://169.254.169.254/latest/", "secret": "s3cret"}
    inward = client.put(f"{base}/handoff-webhook", headers=keys["admin"], json=hook)
    assert "not a public address" in problem(inward, 422, "validation_error")["detail"]

    monkeypatch.setenv(ALLOW_PRIVATE, "1")  # the receiver below is on 127.0.0.1
    receiver = _Receiver()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    try:
        hook = {"url": receiver.url, "secret": "s3cret", "backoff_seconds": 0.05}
        set_ = client.put(f"{base}/handoff-webhook", headers=keys["admin"], json=hook)
        assert set_.status_code == 200, set_.text
        assert set_.json()["handoff_webhook"] == {"url": receiver.url, "signed": True, "retries": 3}
        assert "s3cret" not in set_.text
        reply = client.post(f"{base}/ask", headers=keys["predict"], json={"question": OFF_TOPIC})
        handoff_id = reply.json()["handoff_id"]
        wait_for_deliveries()
        payload, signed = receiver.bodies[-1]
        assert len(receiver.bodies) == 2  # the 503 was tried again
        assert payload["event"] == "assistant.handoff" and payload["handoff_id"] == handoff_id
        assert payload["question"] == OFF_TOPIC and payload["assistant_id"] == made["id"]
        body = json.dumps(payload, sort_keys=True).encode()
        assert signed == signature(body, "s3cret")
        queue = client.get(f"{base}/handoffs", headers=keys["train"]).json()["data"]
        delivery = next(h for h in queue if h["id"] == handoff_id)["delivery"]
        assert (delivery["delivered"], delivery["attempts"], delivery["status"]) == (True, 2, 200)
        removed = client.delete(f"{base}/handoff-webhook", headers=keys["train"])
        assert removed.json()["handoff_webhook"] is None
        client.post(f"{base}/ask", headers=keys["predict"], json={"question": OFF_TOPIC})
        wait_for_deliveries()
        assert len(receiver.bodies) == 2
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_bounds_and_owners(api):
    client, keys, made = api
    base = f"/v1/assistants/{made['id']}"
    long = client.post(f"{base}/ask", headers=keys["predict"], json={"question": "x" * 2001})
    problem(long, 422, "validation_error")
    problem(client.post(f"{base}/ask", json={"question": "Hi"}), 401, "unauthorized")
    problem(client.delete(base, headers=keys["other"]), 403, "forbidden")
    problem(client.delete(base, headers=keys["predict"]), 403, "forbidden")
    extra = client.post(f"{base}/ask", headers=keys["predict"], json={"question": "Hi", "x": 1})
    problem(extra, 422, "validation_error")
    nul = client.post(f"{base}/ask", headers=keys["predict"], json={"question": "a\x00b"})
    problem(nul, 422, "validation_error")  # PostgreSQL cannot store it: refused everywhere
    nul_file = client.post(
        "/v1/assistants", headers=keys["train"], data={"name": "nul"},
        files={"file": ("faq.csv", b"q,a\nWhy?,Because\x00.\n")},
    )  # fmt: skip
    problem(nul_file, 422, "invalid_file")
    bad_id = {"name": "x", "dataset_id": "ds\x00"}
    problem(
        client.post("/v1/assistants", headers=keys["train"], data=bad_id), 422, "validation_error"
    )


def test_delete_removes_everything_of_the_assistant(api):
    client, keys, _ = api
    made = client.post(
        "/v1/assistants", headers=keys["other"], data={"name": "short-lived"},
        files={"file": ("faq.csv", faq_csv())},
    ).json()  # fmt: skip
    base = f"/v1/assistants/{made['id']}"
    sid = client.post(f"{base}/sessions", headers=keys["other"]).json()["id"]
    client.post(
        f"{base}/ask", headers=keys["other"], json={"question": OFF_TOPIC, "session_id": sid}
    )
    assert client.delete(base, headers=keys["admin"]).status_code == 204
    problem(client.get(base, headers=keys["predict"]), 404, "not_found")
    problem(client.get(f"{base}/sessions/{sid}", headers=keys["other"]), 404, "not_found")


def _events(lines) -> list[tuple[str, dict]]:
    events, name = [], None
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
    return events
