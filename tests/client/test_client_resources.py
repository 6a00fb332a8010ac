"""The Python client queues a job with ``resources`` and reads them back, with the server's
warning when no running worker fits."""

from __future__ import annotations

import pytest

from open_interpreter.client import Client, ValidationError

from ..fixtures.api import key
from ..fixtures.data import conll_bytes


def test_a_job_queued_with_resources_shows_them_and_the_warning(client, db, tmp_path):
    secret = key(db, "train")["Authorization"].removeprefix("Bearer ")
    oi = Client(api_key=secret, http_client=client)
    train = tmp_path / "train.conll"
    train.write_bytes(conll_bytes(4, 0))
    dataset = oi.datasets.upload(train)["id"]
    job = oi.fine_tunes.create("ner", dataset, resources={"processes": 2, "gpus": 1})
    assert job["resources"] == {"processes": 2, "gpus": 1, "memory_gb": 0}
    assert job["warnings"] and "no worker is running now" in job["warnings"][0]
    assert oi.fine_tunes.get(job["id"])["resources"] == job["resources"]
    with pytest.raises(ValidationError) as refused:
        oi.fine_tunes.create("ner", dataset, resources={"processes": 0})
    assert refused.value.body["errors"][0]["field"].startswith("resources")
