"""``/v1/recommenders`` on a slice of MovieLens-100K: upload tables (bad lines refused with
their number), train as a job of kind ``recommender``, read the evaluation table, ask for
recommendations (reasons, exclusions, genre filter, unknown-user fallback), similar
items, feedback events; keys and bounds as elsewhere, never a 500."""

from __future__ import annotations

import importlib.util

import pytest

from open_interpreter.apps.recommend import load_movielens_100k
from open_interpreter.apps.recommend import tables as recommend_tables  # noqa: F401
from open_interpreter.services import job_runner
from open_interpreter.services.job_queue import Lease

from ...fixtures.api import key, problem
from ...fixtures.migrations import assert_migration_creates
from ...services.records import claim

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("recbole") is None,
    reason="MovieLens-100K comes from the recbole package (make data)",
)
USERS = 60


@pytest.fixture(scope="module")
def movielens_slice() -> dict[str, bytes]:
    """The first 60 users' ratings of MovieLens-100K and every movie, as CSV tables."""
    data = load_movielens_100k()
    inter, text = data.interactions, data.item_text
    keep = inter.user_index < USERS
    lines = ["user,item,rating,time"] + [
        f"{inter.users[u]},{inter.items[i]},4,{int(t)}"
        for u, i, t in zip(
            inter.user_index[keep], inter.item_index[keep], inter.timestamp[keep], strict=True
        )
    ]
    items = ["item\ttitle\tgenres\tyear"] + [
        f"{item}\t{title}\t{'|'.join(genres)}\t{year}"
        for item, title, genres, year in zip(
            inter.items, text.titles, text.genres, text.years, strict=True
        )
    ]
    return {
        "interactions": ("\n".join(lines) + "\n").encode(),
        "items": ("\n".join(items) + "\n").encode(),
        "first_user": inter.users[0].encode(),
    }


def _upload(client, headers, role: str, name: str, data: bytes):
    return client.post(
        "/v1/recommenders/files", headers=headers, data={"role": role}, files={"file": (name, data)}
    )


def _train(client, db, headers, files, **body) -> dict:
    inter = _upload(client, headers, "interactions", "ratings.csv", files["interactions"]).json()
    items = _upload(client, headers, "items", "movies.tsv", files["items"]).json()
    created = client.post(
        "/v1/recommenders",
        headers=headers,
        json={
            "name": "movies",
            "interactions_file_id": inter["id"],
            "items_file_id": items["id"],
            **body,
        },
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["kind"] == "recommender" and job["status"] == "queued"
    assert job_runner.run_job(db, Lease.of(claim(db))) == "succeeded"
    return client.get(f"/v1/fine-tunes/{job['id']}", headers=headers).json()


def test_train_as_a_job_then_recommend_with_reasons(client, db, movielens_slice):
    train, ask = key(db, "train"), key(db, "predict")
    job = _train(client, db, train, movielens_slice, model="itemknn")
    assert job["status"] == "succeeded", job
    assert job["result"]["version"] == 1
    one = client.get("/v1/recommenders/movies", headers=ask).json()
    evaluation = one["versions"][0]["evaluation"]
    assert one["versions"][0]["kind"] == "itemknn" and evaluation["users"] == USERS
    assert 0 < evaluation["metrics"]["ndcg@10"] <= 1
    assert evaluation["intervals"]["ndcg@10"][0] <= evaluation["metrics"]["ndcg@10"]
    listed = client.get("/v1/recommenders", headers=ask).json()
    assert [r["name"] for r in listed["data"]] == ["movies"]

    user = movielens_slice["first_user"].decode()
    history = client.get(f"/v1/recommenders/movies/users/{user}/history", headers=ask).json()
    seen = {item["item_id"] for item in history["items"]}
    answer = client.get(
        f"/v1/recommenders/movies@1/users/{user}/recommendations?k=5", headers=ask
    ).json()
    assert answer["fallback"] is None and answer["kind"] == "itemknn" and answer["version"] == 1
    got = [item["item_id"] for item in answer["items"]]
    assert len(got) == 5 and not set(got) & seen
    assert all(item["reason"].startswith("similar items: like") for item in answer["items"])
    fewer = client.get(
        f"/v1/recommenders/movies/users/{user}/recommendations",
        params={"k": 5, "exclude": got[:2], "genre": "Comedy"},
        headers=ask,
    ).json()
    assert not set(got[:2]) & {i["item_id"] for i in fewer["items"]}
    assert all("Comedy" in item["genres"] for item in fewer["items"])

    stranger = client.get(
        "/v1/recommenders/movies/users/nobody-here/recommendations?k=3", headers=ask
    ).json()
    assert stranger["kind"] == "popular" and "unknown user" in stranger["fallback"]
    assert all(item["reason"].startswith("popular") for item in stranger["items"])

    similar = client.get(f"/v1/recommenders/movies/items/{got[0]}/similar?k=4", headers=ask)
    assert similar.status_code == 200 and len(similar.json()["items"]) == 4

    event = client.post(
        "/v1/recommenders/movies/events",
        headers=ask,
        json={"user_id": user, "item_id": got[0], "type": "click"},
    )
    assert event.status_code == 201 and event.json()["id"] >= 1
    from open_interpreter.apps.recommend import store

    with db.session() as session:
        stored = store.list_events(session, "movies", user_id=user)
    assert [(e.item_id, e.type) for e in stored] == [(got[0], "click")]


def test_bad_input_is_refused_clearly_never_a_500(client, db, movielens_slice):
    train, ask = key(db, "train"), key(db, "predict")
    bad = _upload(client, train, "interactions", "r.csv", b"user,item,time\nu1,i1,5\nu2,i2,soon\n")
    assert "r.csv line 3: time must be a number" in problem(bad, 400, "invalid_data")["detail"]
    no_column = _upload(client, train, "interactions", "r.csv", b"who,what\na,b\n")
    assert "line 1" in problem(no_column, 400, "invalid_data")["detail"]
    problem(_upload(client, ask, "interactions", "r.csv", b"user,item\na,b\n"), 403, "forbidden")
    missing = client.post(
        "/v1/recommenders",
        headers=train,
        json={"name": "movies", "interactions_file_id": "rf_nope"},
    )
    problem(missing, 404, "not_found")
    both = client.post(
        "/v1/recommenders",
        headers=train,
        json={"name": "movies", "data": "movielens-100k", "interactions_file_id": "rf_x"},
    )
    assert "not both" in problem(both, 422, "invalid_config")["detail"]
    options = client.post(
        "/v1/recommenders",
        headers=train,
        json={"name": "movies", "data": "movielens-100k", "model": "bpr", "options": {"x": 1}},
    )
    problem(options, 422, "invalid_config")

    _train(client, db, train, movielens_slice, model="itemknn", options={"neighbours": 20})
    base = "/v1/recommenders/movies"
    problem(client.get(f"{base}/users/1/recommendations?k=0", headers=ask), 422, "validation_error")
    problem(
        client.get(f"{base}/users/1/recommendations?k=101", headers=ask), 422, "validation_error"
    )
    excluded = client.get(f"{base}/users/1/recommendations?exclude=nope", headers=ask)
    assert "unknown item 'nope'" in problem(excluded, 404, "not_found")["detail"]
    problem(client.get(f"{base}/items/nope/similar", headers=ask), 404, "not_found")
    problem(
        client.get("/v1/recommenders/ghost/users/1/recommendations", headers=ask), 404, "not_found"
    )
    problem(client.get(f"{base}@9/users/1/recommendations", headers=ask), 404, "not_found")
    problem(client.get(f"{base}/users/nobody/history", headers=ask), 404, "not_found")
    event = {"user_id": "1", "item_id": "nope", "type": "click"}
    problem(client.post(f"{base}/events", headers=ask, json=event), 404, "not_found")
    event = {"user_id": "1", "item_id": "1", "type": "hack"}
    problem(client.post(f"{base}/events", headers=ask, json=event), 422, "validation_error")
    problem(client.get(f"{base}/users/1/recommendations"), 401, "unauthorized")


def test_migration_0011_matches_the_tables_and_downgrades(tmp_path):
    assert_migration_creates(tmp_path, "0011", "0010", {"recommender_files", "recommender_events"})
