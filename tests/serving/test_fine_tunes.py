"""``/v1/fine-tunes``: a job's base model is a name, never a path on the server."""

from __future__ import annotations

import pytest

from ..fixtures.api import key, problem
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
