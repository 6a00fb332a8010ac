"""ONNX exports kept with a registered version, and ``OI_BACKEND=onnx`` serving them:
the same routes and answers, the backend said in the response, ``/health`` and
``/metrics``; explanations stay on PyTorch."""

from __future__ import annotations

import pytest

from open_interpreter.services import registry
from open_interpreter.services.audit import list_events

from ..fixtures.api import key, make_client, problem

TEXTS = ["Alice flew to Paris", "Bob met Carol in Rome"]


@pytest.fixture
def registered(db, tiny_ner_model_dir):
    """The tiny NER model registered as ``ner`` version 1, in production."""
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=tiny_ner_model_dir)
        registry.promote(session, "ner", 1)
    return "ner"


def test_an_export_is_kept_with_its_version_and_audited(client, db, registered):
    admin = key(db, "admin")
    created = client.post("/v1/models/ner/versions/1/exports", json={}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["format"] == "onnx" and body["precision"] == "fp32"
    assert body["parity"]["fp32_max_logit_difference"] <= 1e-4 and body["size_bytes"] > 0

    listed = client.get("/v1/models/ner/versions/1/exports", headers=key(db, "predict"))
    assert [e["precision"] for e in listed.json()] == ["fp32"]
    with db.session() as session:
        events, _ = list_events(session, action="model.export")
    assert [e.target for e in events] == ["ner@1"]
    assert events[0].detail["precision"] == "fp32"


def test_exports_need_admin_and_a_real_version(client, db, registered):
    body = {"quantize": "int8"}
    problem(client.post("/v1/models/ner/versions/1/exports", json=body), 401, "unauthorized")
    train = key(db, "train")
    problem(
        client.post("/v1/models/ner/versions/1/exports", json=body, headers=train),
        403,
        "forbidden",
    )
    admin = key(db, "admin")
    problem(
        client.post("/v1/models/ner/versions/9/exports", json=body, headers=admin),
        404,
        "not_found",
    )
    refused = client.post(
        "/v1/models/ner/versions/1/exports", json={"format": "tflite"}, headers=admin
    )
    problem(refused, 422, "validation_error")


def test_the_onnx_backend_predicts_as_pytorch_does_and_says_so(db, registered):
    admin = key(db, "admin")
    with make_client(db) as torch_client:
        torch_answer = torch_client.post(
            "/v1/models/ner/predict", json={"texts": TEXTS}, headers=admin
        ).json()
        assert torch_answer["backend"] == "torch"
        exported = torch_client.post("/v1/models/ner/versions/1/exports", json={}, headers=admin)
        assert exported.status_code == 201, exported.text

    with make_client(db, backend="onnx") as onnx_client:
        answer = onnx_client.post("/v1/models/ner/predict", json={"texts": TEXTS}, headers=admin)
        assert answer.status_code == 200, answer.text
        onnx_answer = answer.json()
        assert onnx_answer["backend"] == "onnx-fp32"
        pairs = zip(onnx_answer["predictions"], torch_answer["predictions"], strict=True)
        for ours, theirs in pairs:
            assert ours["tags"] == theirs["tags"]
            assert ours["scores"] == pytest.approx(theirs["scores"], abs=1e-4)
            assert [(e["start"], e["end"], e["type"]) for e in ours["entities"]] == [
                (e["start"], e["end"], e["type"]) for e in theirs["entities"]
            ]

        health = onnx_client.get("/health").json()
        assert health["backend"] == "onnx" and health["loaded_backends"] == {"onnx-fp32": 1}
        metrics = onnx_client.get("/metrics", headers=admin).text
        assert 'oi_predicted_texts_total{backend="onnx-fp32",model="ner"} 2.0' in metrics

        explained = onnx_client.post(
            "/v1/models/ner/explain", json={"texts": TEXTS[:1]}, headers=admin
        )
        assert explained.status_code == 200, explained.text
        assert onnx_client.get("/health").json()["loaded_backends"] == {
            "onnx-fp32": 1,
            "torch": 1,
        }


def test_the_onnx_backend_falls_back_to_pytorch_without_an_export(db, registered):
    admin = key(db, "admin")
    with make_client(db, backend="onnx") as onnx_client:
        answer = onnx_client.post("/v1/models/ner/predict", json={"texts": TEXTS}, headers=admin)
        assert answer.status_code == 200 and answer.json()["backend"] == "torch"
