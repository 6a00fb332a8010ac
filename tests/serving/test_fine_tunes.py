"""``/v1/fine-tunes``: a job's base model is a name, never a path on the server; no remote
code unless the server allows it; event streams resume from a well-formed id only."""

from __future__ import annotations

import pytest

from ..fixtures.api import key, make_client, problem
from ..fixtures.data import conll_bytes


@pytest.mark.parametrize("model", ["/etc", "../models/x", "~/models", "a/b/c"])
def test_a_job_base_model_is_never_a_server_path(client, db, model):
    headers = key(db, "train")
    dataset = client.post(
        "/v1/datasets", headers=headers, files={"file": ("train.conll", conll_bytes(4, 0))}
    ).json()
    response = client.post(
        "/v1/fine-tunes",
        headers=headers,
        json={"model_name": "x", "train_dataset_id": dataset["id"], "config": {"model": model}},
    )
    assert "never a path on the server" in problem(response, 422, "invalid_config")["detail"]


def _dataset(client, headers) -> str:
    return client.post(
        "/v1/datasets", headers=headers, files={"file": ("train.conll", conll_bytes(4, 0))}
    ).json()["id"]


def test_trust_remote_code_needs_the_server_to_allow_it(client, db):
    headers = key(db, "train")
    body = {
        "model_name": "x",
        "train_dataset_id": _dataset(client, headers),
        "config": {"model": "attacker/repo", "trust_remote_code": True},
    }
    refused = problem(
        client.post("/v1/fine-tunes", headers=headers, json=body), 422, "invalid_config"
    )
    assert "OI_ALLOW_REMOTE_CODE" in refused["detail"]
    listed = client.get("/v1/fine-tunes", headers=headers).json()
    assert listed["count"] == 0  # nothing was queued
    with make_client(db, allow_remote_code=True) as allowing:
        queued = allowing.post("/v1/fine-tunes", headers=headers, json=body)
        assert queued.status_code == 201, queued.text
        assert queued.json()["config"]["trust_remote_code"] is True


@pytest.mark.parametrize("resume", ["abc", "-1", "1e3", "9" * 40])
def test_a_malformed_last_event_id_is_a_bad_request(client, db, resume):
    headers = key(db, "train")
    job = client.post(
        "/v1/fine-tunes",
        headers=headers,
        json={"model_name": "x", "train_dataset_id": _dataset(client, headers)},
    ).json()
    url = f"/v1/fine-tunes/{job['id']}/events"
    # streamed: were the id taken, the job's event stream would run until the job ends
    with client.stream("GET", url, headers={**headers, "Last-Event-ID": resume}) as response:
        assert response.status_code == 400
        response.read()
    assert "Last-Event-ID" in problem(response, 400, "bad_request")["detail"]
