"""Datasets, fine-tune jobs and evaluations belong to the key that made them: a key below
``admin`` lists, reads, cancels, deletes, follows and uses only its own rows, and another
key's row answers 404 (so ids tell nothing); an admin key sees and acts on all; a server
without keys shows everything."""

from __future__ import annotations

import pytest

from open_interpreter.services import evaluations, registry
from open_interpreter.services.api_keys import create_key
from open_interpreter.services.callers import Caller
from open_interpreter.storage.tables import Dataset, FineTuneJob

from ..fixtures.api import make_client, problem
from ..fixtures.data import conll_bytes
from ..services.records import fake_saved_model


class Holder:
    """An API key, as its id and the headers that carry it."""

    def __init__(self, db, name: str, scope: str):
        with db.session() as session:
            self.row, secret = create_key(session, name=name, scope=scope)
        self.id = self.row.id
        self.headers = {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def alice(db) -> Holder:
    return Holder(db, "alice", "train")


@pytest.fixture
def bob(db) -> Holder:
    return Holder(db, "bob", "train")


@pytest.fixture
def admin(db) -> Holder:
    return Holder(db, "root", "admin")


def upload(client, holder: Holder | None = None) -> str:
    response = client.post(
        "/v1/datasets",
        headers=holder.headers if holder else {},
        files={"file": ("train.conll", conll_bytes(4, 0))},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def queue(client, holder: Holder | None, **datasets: str):
    headers = holder.headers if holder else {}
    return client.post("/v1/fine-tunes", headers=headers, json={"model_name": "x", **datasets})


def ids(client, path: str, holder: Holder) -> set[str]:
    listed = client.get(path, headers=holder.headers).json()
    assert listed["count"] == len(listed["data"])
    return {row["id"] for row in listed["data"]}


def test_datasets_are_seen_and_deleted_by_their_key_only(client, alice, bob, admin):
    mine, theirs = upload(client, alice), upload(client, bob)
    assert ids(client, "/v1/datasets", alice) == {mine}
    assert ids(client, "/v1/datasets", bob) == {theirs}
    assert ids(client, "/v1/datasets", admin) == {mine, theirs}
    problem(client.get(f"/v1/datasets/{mine}", headers=bob.headers), 404, "not_found")
    problem(client.delete(f"/v1/datasets/{mine}", headers=bob.headers), 404, "not_found")
    assert client.get(f"/v1/datasets/{mine}", headers=alice.headers).status_code == 200
    assert client.get(f"/v1/datasets/{theirs}", headers=admin.headers).status_code == 200
    assert client.delete(f"/v1/datasets/{theirs}", headers=admin.headers).status_code == 204
    assert ids(client, "/v1/datasets", bob) == set()


@pytest.mark.parametrize("field", ["train", "validation", "test"])
def test_a_job_cannot_use_another_keys_dataset(client, alice, bob, field):
    mine, theirs = upload(client, alice), upload(client, bob)
    datasets = {"train_dataset_id": mine, f"{field}_dataset_id": theirs}
    refused = problem(queue(client, alice, **datasets), 404, "not_found")
    assert f"{field}_dataset_id: no dataset with id {theirs!r}" in refused["detail"]
    assert ids(client, "/v1/fine-tunes", alice) == set()


def test_jobs_are_seen_cancelled_and_followed_by_their_key_only(client, db, alice, bob, admin):
    job = queue(client, alice, train_dataset_id=upload(client, alice)).json()["id"]
    other = queue(client, bob, train_dataset_id=upload(client, bob)).json()["id"]
    assert ids(client, "/v1/fine-tunes", alice) == {job}
    assert ids(client, "/v1/fine-tunes", bob) == {other}
    assert ids(client, "/v1/fine-tunes", admin) == {job, other}
    for method, path in [
        ("GET", f"/v1/fine-tunes/{job}"),
        ("POST", f"/v1/fine-tunes/{job}/cancel"),
        ("GET", f"/v1/fine-tunes/{job}/history"),
    ]:
        problem(client.request(method, path, headers=bob.headers), 404, "not_found")
    with db.session() as session:  # both run: each key sees its own on /v1/resources
        for running in (job, other):
            session.get(FineTuneJob, running).status = "running"
        session.commit()
    shown = client.get("/v1/resources", headers=bob.headers).json()["jobs"]
    assert [row["id"] for row in shown] == [other]
    everything = client.get("/v1/resources", headers=admin.headers).json()["jobs"]
    assert {row["id"] for row in everything} == {job, other}
    cancelled = client.post(f"/v1/fine-tunes/{job}/cancel", headers=alice.headers)
    assert cancelled.json()["cancel_requested"] is True
    with db.session() as session:  # finished, so a stream that were let in would end
        session.get(FineTuneJob, job).status = "cancelled"
        session.commit()
    with client.stream("GET", f"/v1/fine-tunes/{job}/events", headers=bob.headers) as events:
        events.read()
    problem(events, 404, "not_found")
    history = client.get(f"/v1/fine-tunes/{job}/history", headers=alice.headers)
    assert history.status_code == 200 and history.json()["data"]
    assert client.get(f"/v1/fine-tunes/{other}", headers=admin.headers).status_code == 200
    assert client.post(f"/v1/fine-tunes/{other}/cancel", headers=admin.headers).status_code == 200


def test_a_dataset_in_use_is_kept_and_another_keys_job_is_not_named(client, alice, admin):
    dataset = upload(client, alice)
    job = queue(client, admin, train_dataset_id=dataset).json()["id"]  # admins use any
    refused = problem(
        client.delete(f"/v1/datasets/{dataset}", headers=alice.headers), 409, "conflict"
    )
    assert job not in refused["detail"] and "another key" in refused["detail"]
    refused = problem(
        client.delete(f"/v1/datasets/{dataset}", headers=admin.headers), 409, "conflict"
    )
    assert job in refused["detail"]


def test_evaluations_are_seen_and_made_by_their_key_only(client, db, alice, bob, admin, tmp_path):
    mine, theirs = upload(client, alice), upload(client, bob)
    with db.session() as session:
        registry.register_directory(
            session, model_name="ner", path=fake_saved_model(tmp_path / "m")
        )
        made = {}
        for holder, dataset in ((alice, mine), (bob, theirs)):
            row = evaluations.record_evaluation(
                session,
                model_name="ner",
                version=1,
                dataset_id=dataset,
                report={"accuracy": 1.0},
                caller=Caller.of_key(holder.row),
            )
            made[holder.id] = row.id
    assert ids(client, "/v1/evaluations", alice) == {made[alice.id]}
    assert ids(client, "/v1/evaluations", admin) == set(made.values())
    url = f"/v1/evaluations/{made[alice.id]}"
    problem(client.get(url, headers=bob.headers), 404, "not_found")
    assert client.get(url, headers=alice.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200
    body = {"model_name": "ner", "dataset_id": mine}
    refused = client.post("/v1/evaluations", headers=bob.headers, json=body)
    assert f"no dataset {mine!r}" in problem(refused, 404, "not_found")["detail"]
    config = {"name": "x", "data": f"dataset:{mine}", "runs": [{"strategy": "majority"}]}
    refused = client.post("/v1/prompts/evaluate", headers=bob.headers, json={"config": config})
    assert f"no dataset {mine!r}" in problem(refused, 404, "not_found")["detail"]


def test_without_keys_everything_is_shown_and_rows_have_no_owner(client, db, alice, admin):
    owned = upload(client, alice)
    with make_client(db, auth=False) as keyless:
        unowned = upload(keyless)
        listed = keyless.get("/v1/datasets").json()["data"]
        assert {row["id"] for row in listed} == {owned, unowned}
        job = queue(keyless, None, train_dataset_id=owned)
        assert job.status_code == 201, job.text
        assert keyless.get(f"/v1/fine-tunes/{job.json()['id']}").status_code == 200
    with db.session() as session:
        assert session.get(Dataset, unowned).owner_key_id is None
        assert session.get(Dataset, owned).owner_key_id == alice.id
    # made without a key, they are an admin's to see once keys are on
    assert ids(client, "/v1/datasets", alice) == {owned}
    assert ids(client, "/v1/fine-tunes", alice) == set()
    assert ids(client, "/v1/datasets", admin) == {owned, unowned}
