"""``/v1/datasets``: uploads are validated, previewed, listed and deleted."""

from __future__ import annotations

from ..fixtures.api import key, problem
from ..fixtures.data import conll_bytes


def test_dataset_upload_validates_and_previews(client, db):
    headers = key(db, "train")
    response = client.post(
        "/v1/datasets",
        headers=headers,
        data={"name": "tiny"},
        files={"file": ("train.conll", conll_bytes(10, 0))},
    )
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["shape"], dataset["num_examples"]) == ("tokens", 10)
    assert "B-PER" in dataset["labels"] and dataset["preview"][0]["tokens"]
    assert client.get(f"/v1/datasets/{dataset['id']}", headers=headers).json() == dataset
    assert client.get("/v1/datasets", headers=headers).json()["count"] == 1
    bad = client.post(
        "/v1/datasets", headers=headers, files={"file": ("bad.conll", b"john B-PER\nvisited\n")}
    )
    assert "bad.conll:2" in problem(bad, 400, "invalid_data")["detail"]
    problem(
        client.post("/v1/datasets", headers=headers, files={"file": ("x.pdf", b"%PDF")}),
        400,
        "invalid_data",
    )
    assert client.delete(f"/v1/datasets/{dataset['id']}", headers=headers).status_code == 204
    problem(client.get(f"/v1/datasets/{dataset['id']}", headers=headers), 404, "not_found")
