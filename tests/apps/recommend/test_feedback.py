"""Learning from feedback, and interactions stored by the datasets service: a tiny table
uploaded as an ``interactions`` dataset trains a popular-items recommender by
``dataset_id``; clicks recorded on it are added by a ``with_feedback`` retrain, whose new
version's top recommendation changes and whose lineage says so."""

from __future__ import annotations

from datetime import datetime

from open_interpreter.apps.recommend import read_interaction_tables
from open_interpreter.apps.recommend import tables as recommend_tables  # noqa: F401
from open_interpreter.apps.recommend._feedback import Event, add_feedback
from open_interpreter.services import job_runner, registry
from open_interpreter.services.job_queue import Lease

from ...fixtures.api import key, problem
from ...services.records import claim

# a: 4 users, b: 3, c: 2, d: 1; user x has only d, so popular ranks a first for x
CLICKS = (
    "user,item,time\n"
    + "".join(f"u{n},a,{n}\n" for n in range(4))
    + "".join(f"v{n},b,{10 + n}\n" for n in range(3))
    + "w0,c,20\nw1,c,21\nx,d,30\n"
)


def _event(n: int, user: str, item: str, type: str = "click", value=None) -> Event:
    return Event(n, user, item, type, value, datetime(2026, 1, 1, 0, 0, n))


def test_positive_events_become_interactions_and_the_rest_are_counted() -> None:
    data = read_interaction_tables(CLICKS.encode(), interactions_name="clicks.csv")
    events = [
        _event(1, "f1", "c"),
        _event(2, "x", "b", "rating", 4.5),
        _event(3, "x", "a", "rating", 1.0),
        _event(4, "x", "a", "dislike"),
        _event(5, "x", "zzz"),
    ]
    grown, summary = add_feedback(data, events)
    assert summary == {
        "events": 5,
        "interactions_added": 2,
        "not_positive": 2,
        "unknown_items": 1,
        "new_users": 1,
        "through_event_id": 5,
    }
    inter = grown.interactions
    assert len(inter) == len(data.interactions) + 2 and inter.users[-1] == "f1"
    assert inter.items == data.interactions.items
    # recorded later than every original interaction, so they are the newest
    assert inter.timestamp[-2:].min() > data.interactions.timestamp.max()


def test_retrain_with_feedback_from_an_interactions_dataset(client, db) -> None:
    train, ask = key(db, "train"), key(db, "predict")
    bad = client.post(
        "/v1/datasets",
        headers=train,
        data={"shape": "interactions"},
        files={"file": ("clicks.csv", b"user,item,time\nu1,a,1\nu2,b,soon\n")},
    )
    assert "clicks.csv line 3: time must be a number" in problem(bad, 400, "invalid_data")["detail"]
    uploaded = client.post(
        "/v1/datasets",
        headers=train,
        data={"shape": "interactions", "name": "clicks"},
        files={"file": ("clicks.csv", CLICKS.encode())},
    )
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert dataset["shape"] == "interactions" and dataset["num_examples"] == 10
    assert dataset["preview"][0] == {"user": "u0", "item": "a", "rating": 1.0, "time": 0.0}
    listed = client.get("/v1/datasets", headers=train).json()["data"]
    assert [d["id"] for d in listed] == [dataset["id"]]

    def run(body: dict) -> dict:
        created = client.post("/v1/recommenders", headers=train, json={"name": "shop", **body})
        assert created.status_code == 201, created.text
        assert job_runner.run_job(db, Lease.of(claim(db))) == "succeeded"
        return client.get(f"/v1/fine-tunes/{created.json()['id']}", headers=train).json()

    def top(reference: str) -> str:
        url = f"/v1/recommenders/{reference}/users/x/recommendations?k=1"
        return client.get(url, headers=ask).json()["items"][0]["item_id"]

    first = run({"model": "popular", "dataset_id": dataset["id"]})
    assert first["result"]["version"] == 1 and "feedback" not in first["result"]
    assert top("shop@1") == "a"
    for n in range(4):  # four new users click c: now 6 users, more than a's 4
        event = {"user_id": f"f{n}", "item_id": "c", "type": "click"}
        assert (
            client.post("/v1/recommenders/shop/events", headers=ask, json=event).status_code == 201
        )
    dislike = {"user_id": "x", "item_id": "c", "type": "dislike"}
    client.post("/v1/recommenders/shop/events", headers=ask, json=dislike)

    second = run({"model": "popular", "with_feedback": True})
    assert second["result"]["version"] == 2
    feedback = second["result"]["feedback"]
    assert feedback["events"] == 5 and feedback["interactions_added"] == 4
    assert feedback["not_positive"] == 1 and feedback["new_users"] == 4
    assert top("shop@2") == "c" and top("shop@1") == "a"
    with db.session() as session:
        lineage = registry.get_version(session, "shop", version=2).lineage
    assert lineage["feedback"] == feedback
    assert lineage["job_config"]["dataset_id"] == dataset["id"]


def test_bad_feedback_and_dataset_requests_are_refused(client, db) -> None:
    train = key(db, "train")
    body = {"name": "ghost", "model": "popular", "with_feedback": True}
    problem(client.post("/v1/recommenders", headers=train, json=body), 404, "not_found")
    body = {"name": "shop", "items_file_id": "rf_x", "with_feedback": True}
    problem(client.post("/v1/recommenders", headers=train, json=body), 422, "invalid_config")
    body = {"name": "shop", "model": "popular", "dataset_id": "ds_nope"}
    problem(client.post("/v1/recommenders", headers=train, json=body), 404, "not_found")
    texts = client.post(
        "/v1/datasets",
        headers=train,
        files={"file": ("labels.csv", b"text,label\ngood,pos\nbad,neg\n")},
    ).json()
    assert texts["shape"] == "texts"
    body = {"name": "shop", "model": "popular", "dataset_id": texts["id"]}
    answer = problem(
        client.post("/v1/recommenders", headers=train, json=body), 422, "invalid_config"
    )
    assert "not interactions" in answer["detail"]
    body = {"name": "shop", "data": "movielens-100k", "dataset_id": texts["id"]}
    problem(client.post("/v1/recommenders", headers=train, json=body), 422, "invalid_config")
    odd = client.post(
        "/v1/datasets", headers=train, data={"shape": "graphs"}, files={"file": ("g.csv", b"a\n")}
    )
    assert odd.status_code == 422
