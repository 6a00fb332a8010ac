"""``/v1/studies``: a study over uploaded datasets queues its trials as the key's jobs, reads
back with its trials, registers its best trial's model (audited), cancels; another key
sees none of it; bad settings are refused before anything is queued."""

from __future__ import annotations

from open_interpreter.services import job_runner
from open_interpreter.services.job_queue import Lease

from ..fixtures.api import key, problem
from ..fixtures.data import conll_bytes
from ..services.records import claim

CONFIG = {"learning_rate": 5e-3, "epochs": 1, "batch_size": 8, "num_threads": 1}


def _dataset(client, headers, n: int, seed: int) -> str:
    files = {"file": ("data.conll", conll_bytes(n, seed))}
    return client.post("/v1/datasets", headers=headers, files=files).json()["id"]


def _body(client, headers, model: str, **changes) -> dict:
    return {
        "model_name": "ner-study",
        "train_dataset_id": _dataset(client, headers, 24, 0),
        "validation_dataset_id": _dataset(client, headers, 8, 1),
        "config": {"model": model, **CONFIG},
        "search": {
            "space": {"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}},
            "n_trials": 2,
            "pruner": "none",
        },
        **changes,
    }


def test_a_study_runs_its_trials_as_jobs_and_registers_the_best(client, db, tiny_bert_name):
    headers = key(db, "train")
    created = client.post(
        "/v1/studies", headers=headers, json=_body(client, headers, tiny_bert_name)
    )
    assert created.status_code == 201, created.text
    study = created.json()
    assert study["status"] == "running" and study["metric"] == "entity_f1"
    assert [t["state"] for t in study["trials"]] == ["running", "running"]  # parallel=2
    jobs = client.get("/v1/fine-tunes", headers=headers).json()
    assert {j["id"] for j in jobs["data"]} == {t["job_id"] for t in study["trials"]}
    refused = client.post(f"/v1/studies/{study['id']}/register", headers=headers)
    assert "no completed trial" in problem(refused, 409, "conflict")["detail"]
    for _ in range(2):  # what two workers do with the trials' jobs
        job = claim(db)
        assert job_runner.run_job(db, Lease.of(job)) == "succeeded"
    one = client.get(f"/v1/studies/{study['id']}", headers=headers).json()
    assert [t["state"] for t in one["trials"]] == ["running", "running"]  # not yet told
    from open_interpreter.services import studies

    with db.session() as session:
        assert studies.advance_study(session, study["id"], db.url)
    one = client.get(f"/v1/studies/{study['id']}", headers=headers).json()
    assert one["status"] == "succeeded"
    assert [t["state"] for t in one["trials"]] == ["complete", "complete"]
    assert all(t["epoch_scores"].keys() == {"1"} and t["seconds"] > 0 for t in one["trials"])
    assert one["best_value"] == max(t["value"] for t in one["trials"])
    listed = client.get("/v1/studies", headers=headers).json()
    assert listed["count"] == 1 and listed["data"][0]["best_trial"] == one["best_trial"]
    registered = client.post(f"/v1/studies/{study['id']}/register", headers=headers)
    assert registered.status_code == 200, registered.text
    assert registered.json()["model_version_id"] is not None
    versions = client.get("/v1/models/ner-study/versions", headers=key(db, "predict")).json()
    assert len(versions["data"] if isinstance(versions, dict) else versions) == 1
    log = client.get("/v1/audit?action=study.register", headers=key(db, "admin")).json()
    assert [e["target"] for e in log["data"]] == ["ner-study@1"]
    again = client.post(f"/v1/studies/{study['id']}/register", headers=headers)
    problem(again, 409, "conflict")
    cancelled = client.post(f"/v1/studies/{study['id']}/cancel", headers=headers)
    assert "already finished" in problem(cancelled, 409, "conflict")["detail"]
    # More trials: the ended study runs again and a worker picks the new trial.
    url = f"/v1/studies/{study['id']}/trials"
    problem(client.post(url, headers=headers, json={"n_trials": 0}), 422, "validation_error")
    more = client.post(url, headers=headers, json={"n_trials": 1})
    assert more.status_code == 202, more.text
    assert more.json()["status"] == "running" and more.json()["n_trials"] == 3
    assert [t["state"] for t in more.json()["trials"]] == ["complete", "complete", "running"]
    assert job_runner.run_job(db, Lease.of(claim(db))) == "succeeded"
    with db.session() as session:
        assert studies.advance_study(session, study["id"], db.url)
    three = client.get(f"/v1/studies/{study['id']}", headers=headers).json()
    assert three["status"] == "succeeded" and len(three["trials"]) == 3


def test_another_key_sees_no_study_and_cancel_stops_the_trials(client, db, tiny_bert_name):
    headers, other = key(db, "train"), key(db, "train")
    study = client.post(
        "/v1/studies", headers=headers, json=_body(client, headers, tiny_bert_name)
    ).json()
    url = f"/v1/studies/{study['id']}"
    for method, path in [("GET", url), ("POST", f"{url}/cancel"), ("POST", f"{url}/register")]:
        problem(client.request(method, path, headers=other), 404, "not_found")
    more = client.post(f"{url}/trials", headers=other, json={"n_trials": 1})
    problem(more, 404, "not_found")
    assert client.get("/v1/studies", headers=other).json()["count"] == 0
    assert client.get("/v1/studies", headers=key(db, "admin")).json()["count"] == 1
    cancelled = client.post(f"{url}/cancel", headers=headers).json()
    assert cancelled["status"] == "cancelled"
    assert {t["state"] for t in cancelled["trials"]} == {"cancelled"}
    jobs = client.get("/v1/fine-tunes", headers=headers).json()["data"]
    assert {j["status"] for j in jobs} == {"cancelled"}
    more = client.post(f"{url}/trials", headers=headers, json={"n_trials": 1})
    assert "cancelled on request" in problem(more, 409, "conflict")["detail"]


def test_bad_settings_are_refused_before_anything_is_queued(client, db, tiny_bert_name):
    headers = key(db, "train")
    cases = [
        ({"search": {"space": {}}}, 422, "empty"),
        ({"search": {"metric": "bleu"}}, 422, "not measured"),
        ({"search": {"n_trials": 1}}, 422, "at least 2"),
        ({"validation_dataset_id": None}, 422, "validation"),
        ({"train_dataset_id": "ds_missing"}, 404, "no dataset"),
        ({"config": {"model": "/etc"}}, 422, "never a path"),
        ({"parallel": 0}, 422, "parallel"),
    ]
    for changes, status, words in cases:
        body = _body(client, headers, tiny_bert_name)
        body.update(changes)
        if "search" in changes:
            body["search"] = {"n_trials": 2, **changes["search"]}
        response = client.post("/v1/studies", headers=headers, json=body)
        assert response.status_code == status, (changes, response.text)
        assert words in response.text, (changes, response.text)
    assert client.get("/v1/fine-tunes", headers=headers).json()["count"] == 0
    assert client.get("/v1/studies", headers=headers).json()["count"] == 0
