"""``POST /v1/models/{name}/explain`` through HTTP: a tiny sentiment classifier and a tiny
tagger, the library's answer served as it is, errors as problem details, and the served
model left exactly as predictions expect it."""

from __future__ import annotations

import asyncio
import threading
import typing
from pathlib import Path

import httpx
import pytest
import torch

from open_interpreter import OpenInterpreter
from open_interpreter.analysis import METHODS
from open_interpreter.serving.schemas import MAX_EXPLAIN_CHARS, MAX_EXPLAIN_TEXTS, ExplainRequest

from ..fixtures.analysis import trained
from ..fixtures.api import key, make_client, problem, tar_gz


@pytest.fixture(scope="module")
def sentiment_model(tiny_bert_dir, tmp_path_factory) -> Path:
    into = tmp_path_factory.mktemp("saved") / "tiny-sentiment"
    return trained(str(tiny_bert_dir), "sentiment").save(into)


@pytest.fixture
def served(client, db, sentiment_model, tiny_ner_model_dir):
    """The server behind ``client`` holds ``sentiment`` and ``ner``; the client sends a
    predict key."""
    admin = key(db, "admin")
    for name, saved in {"sentiment": sentiment_model, "ner": tiny_ner_model_dir}.items():
        files = {"archive": (f"{name}.tar.gz", tar_gz(saved))}
        client.post("/v1/models", headers=admin, data={"name": name}, files=files)
    client.headers.update(key(db, "predict"))


@pytest.mark.usefixtures("served")
def test_a_classification_is_explained_as_the_library_explains_it(client, sentiment_model):
    local = OpenInterpreter.load(sentiment_model)
    for method in METHODS:
        response = client.post(
            "/v1/models/sentiment/explain", json={"text": "this film is great", "method": method}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["version"], body["task"], body["method"]) == (
            1,
            "sequence-classification",
            method,
        )
        (result,) = body["results"]
        (explanation,) = result["explanations"]
        expected = local.explain("this film is great", method=method).to_dict()
        assert explanation == {
            **expected,
            "scores": pytest.approx(expected["scores"], abs=1e-5),
            "probability": pytest.approx(expected["probability"], abs=1e-5),
        }
        assert explanation["words"] == ["this", "film", "is", "great"]
        assert explanation["offsets"] == [[0, 4], [5, 9], [10, 12], [13, 18]]
        assert explanation["target"] == result["prediction"]["label"]
        assert result["prediction"] == local.predict("this film is great").to_dict() | {
            "score": pytest.approx(result["prediction"]["score"], abs=1e-5),
            "scores": pytest.approx(result["prediction"]["scores"], abs=1e-5),
        }


@pytest.mark.usefixtures("served")
def test_another_label_and_several_texts(client):
    texts = ["this film is great", "the movie is awful"]
    body = client.post(
        "/v1/models/sentiment/explain",
        json={"texts": texts, "target": "negative", "method": "occlusion", "version": 1},
    ).json()
    assert [r["text"] for r in body["results"]] == texts
    assert [r["explanations"][0]["target"] for r in body["results"]] == ["negative", "negative"]
    default_steps = client.post("/v1/models/sentiment/explain", json={"text": texts[0]}).json()
    few_steps = client.post(
        "/v1/models/sentiment/explain", json={"text": texts[0], "steps": 2}
    ).json()
    assert default_steps["method"] == "integrated-gradients"
    assert default_steps["results"][0]["explanations"][0]["scores"] != pytest.approx(
        few_steps["results"][0]["explanations"][0]["scores"], abs=1e-9
    )


@pytest.mark.usefixtures("served")
def test_each_entity_of_a_tagger_is_explained(client, tiny_ner_model_dir):
    text = "Mary visited Berlin"
    body = client.post("/v1/models/ner/explain", json={"text": text, "method": "occlusion"}).json()
    (result,) = body["results"]
    entities = result["prediction"]["entities"]
    assert entities, "the tiny tagger found no entity"
    explained = [e["entity"] for e in result["explanations"]]
    assert [(e["type"], e["start"], e["end"]) for e in explained] == [
        (e["type"], e["start"], e["end"]) for e in entities
    ]
    local = OpenInterpreter.load(tiny_ner_model_dir).explain(text, method="occlusion")
    assert [e["scores"] for e in result["explanations"]] == [
        pytest.approx(e.scores, abs=1e-5) for e in local
    ]
    assert all(e["words"] == ["Mary", "visited", "Berlin"] for e in result["explanations"])

    last = len(entities) - 1
    by_index = client.post(
        "/v1/models/ner/explain", json={"text": text, "target": last, "method": "occlusion"}
    ).json()["results"][0]["explanations"]
    assert by_index == [result["explanations"][last]]
    kind = entities[0]["type"]
    by_type = client.post(
        "/v1/models/ner/explain", json={"text": text, "target": kind, "method": "occlusion"}
    ).json()["results"][0]["explanations"]
    assert by_type and {e["target"] for e in by_type} == {kind}


@pytest.mark.usefixtures("served")
@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("sentiment", {"text": "this film is great", "method": "magic"}, "method"),
        ("sentiment", {"text": "x" * (MAX_EXPLAIN_CHARS + 1)}, "text"),
        ("sentiment", {"texts": ["this film"] * (MAX_EXPLAIN_TEXTS + 1)}, "texts"),
        ("sentiment", {"texts": ["this film", "  "]}, "texts.1"),
        ("sentiment", {"text": "this film", "steps": 0}, "steps"),
        ("sentiment", {"text": "this film", "steps": 100_000}, "steps"),
        ("sentiment", {"text": "this film", "target": True}, "target"),
        ("sentiment", {"text": "this film", "texts": ["this film"]}, "body"),
        ("sentiment", {}, "body"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(client, name, body, field):
    answer = problem(client.post(f"/v1/models/{name}/explain", json=body), 422, "validation_error")
    fields = [e["field"] for e in answer["errors"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), fields


@pytest.mark.usefixtures("served")
def test_unknown_targets_and_models(client):
    answer = problem(
        client.post("/v1/models/sentiment/explain", json={"text": "this film", "target": "meh"}),
        422,
        "unknown_label",
    )
    assert answer["errors"][0]["field"] == "target" and "positive" in answer["detail"]
    answer = problem(
        client.post(
            "/v1/models/ner/explain", json={"text": "Mary visited Berlin", "target": "PET"}
        ),
        422,
        "unknown_label",
    )
    assert "LOC" in answer["detail"]
    problem(
        client.post("/v1/models/ner/explain", json={"text": "Mary visited Berlin", "target": 9}),
        422,
        "unknown_entity",
    )
    problem(client.post("/v1/models/nope/explain", json={"text": "x"}), 404, "not_found")
    problem(
        client.post("/v1/models/ner/explain", json={"text": "mary", "version": 7}), 404, "not_found"
    )


def test_limits_and_keys(db, sentiment_model):
    with make_client(db, max_body_bytes=2_000) as client:
        big = client.post(
            "/v1/models/sentiment/explain",
            headers=key(db, "predict"),
            json={"texts": ["this film is great"] * 10, "target": "p" * 2_000},
        )
        problem(big, 413, "too_large")
        problem(
            client.post("/v1/models/sentiment/explain", json={"text": "x"}), 401, "unauthorized"
        )


def test_methods_offered_are_the_librarys():
    assert typing.get_args(ExplainRequest.model_fields["method"].annotation) == METHODS


class _OverlapCounter:
    """Wraps a model's forward to record the most forward passes running at once."""

    def __init__(self, model: torch.nn.Module):
        self.model, self.forward = model, model.forward
        self.running = self.most = 0
        self.lock = threading.Lock()
        model.forward = self

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return self.forward(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1

    def remove(self) -> None:
        del self.model.forward


@pytest.mark.usefixtures("served")
def test_explaining_leaves_the_served_model_as_it_was_and_never_overlaps_a_prediction(client):
    texts = [f"this film is {w}" for w in ("great", "awful", "good", "bad")]
    headers, app = dict(client.headers), client.app
    seen: dict[str, typing.Any] = {}

    async def scenario() -> list[httpx.Response]:
        # One event loop throughout: a model's batcher serves the loop that first used it.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def predict(batch: list[str]) -> httpx.Response:
                url = "/v1/models/sentiment/predict"
                return await http.post(url, headers=headers, json={"texts": batch})

            seen["before"] = (await predict(texts)).json()
            (loaded,) = app.state.oi.cache._models.values()
            model = seen["model"] = loaded.interpreter.model
            seen["weights"] = {n: p.detach().clone() for n, p in model.named_parameters()}
            counter = seen["counter"] = _OverlapCounter(model)
            explains = [
                http.post(
                    "/v1/models/sentiment/explain",
                    headers=headers,
                    json={"texts": texts[:2], "method": method},
                )
                for method in METHODS
            ]
            responses = await asyncio.gather(*explains, *[predict([t]) for t in texts * 3])
            counter.remove()
            seen["after"] = (await predict(texts)).json()
            return responses

    responses = asyncio.run(scenario())
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert seen["counter"].most == 1
    model = seen["model"]
    assert not model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(seen["weights"][n], p) for n, p in model.named_parameters())
    assert seen["after"] == seen["before"]
