"""The prompt library, rendering and prompt evaluation over HTTP: /v1/prompts."""

from __future__ import annotations

import shutil
import time

import pytest

from open_interpreter.services.prompt_store import DatabasePromptStore

from ..fixtures.api import key, make_client, problem
from ..fixtures.data import sentiment_texts


@pytest.fixture
def train_key(client, db):
    """The client sends a train key."""
    client.headers.update(key(db, "train"))


@pytest.fixture
def models(isolated_home, word_llama_dir):
    """The tiny word-level Llama chat model as ``word-llama``: it answers in words."""
    shutil.copytree(word_llama_dir, isolated_home / "models" / "word-llama")


@pytest.mark.usefixtures("train_key")
def test_the_library_saves_lists_diffs_and_deletes(client, db, isolated_home):
    first = client.post("/v1/prompts", json={"name": "topic", "text": "Topic of: {{ text }}"})
    assert first.status_code == 201, first.text
    assert first.json()["reference"] == "topic@1" and first.json()["variables"] == ["text"]
    again = client.post("/v1/prompts", json={"name": "topic", "text": "Topic of: {{ text }}"})
    assert again.status_code == 200 and again.json()["version"] == 1
    second = client.post(
        "/v1/prompts",
        json={
            "name": "topic",
            "text": "Which topic?\n{{ text }}",
            "system": "You sort {{ kind }}.",
            "description": "with a system message",
        },
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    assert DatabasePromptStore(db).versions("topic") == [1, 2]  # the server's database
    assert not (isolated_home / "prompts").exists()  # not files
    client.post("/v1/prompts", json={"name": "sentiment", "text": "Sentiment of {{ text }}"})

    listed = client.get("/v1/prompts").json()
    assert listed["count"] == 2
    assert [p["reference"] for p in listed["data"]] == ["sentiment@1", "topic@2"]
    assert client.get("/v1/prompts", params={"offset": 1}).json()["data"][0]["name"] == "topic"
    topic = client.get("/v1/prompts/topic").json()
    assert topic["version"] == 2 and topic["variables"] == ["kind", "text"]
    assert [v["version"] for v in topic["versions"]] == [1, 2]
    assert topic["versions"][1]["description"] == "with a system message"
    assert client.get("/v1/prompts/topic/versions/1").json()["text"] == "Topic of: {{ text }}"

    diff = client.get("/v1/prompts/topic/diff").json()
    assert (diff["old"], diff["new"]) == (1, 2)
    assert diff["diff"].startswith("--- topic@1\n+++ topic@2\n")
    assert "-Topic of: {{ text }}" in diff["diff"] and "+You sort {{ kind }}." in diff["diff"]
    same = client.get("/v1/prompts/topic/diff", params={"old": 2, "new": 2}).json()
    assert same["diff"] == ""

    assert client.delete("/v1/prompts/topic").status_code == 204
    assert DatabasePromptStore(db).names() == ["sentiment"]
    problem(client.get("/v1/prompts/topic"), 404, "prompt_not_found")
    assert client.get("/v1/prompts").json()["count"] == 1


@pytest.mark.usefixtures("train_key")
def test_library_errors_are_problems(client, db):
    body = problem(
        client.post("/v1/prompts", json={"name": "bad", "text": "{{ text "}),
        422,
        "invalid_template",
    )
    assert "line 1" in body["detail"]
    problem(
        client.post("/v1/prompts", json={"name": "../up", "text": "x"}), 422, "validation_error"
    )
    reserved = client.post("/v1/prompts", json={"name": "render", "text": "x"})
    assert "reserved" in problem(reserved, 422, "validation_error")["detail"]
    problem(client.get("/v1/prompts/.hidden"), 422, "validation_error")
    problem(client.get("/v1/prompts/nope"), 404, "prompt_not_found")
    problem(client.delete("/v1/prompts/nope"), 404, "prompt_not_found")
    client.post("/v1/prompts", json={"name": "topic", "text": "{{ text }}"})
    problem(client.get("/v1/prompts/topic/versions/3"), 404, "prompt_not_found")
    problem(client.get("/v1/prompts/topic/diff"), 404, "prompt_not_found")  # one version

    # The POST-only routes exist for a probe (405), whatever the library holds.
    for path in ("/v1/prompts/render", "/v1/prompts/evaluate"):
        assert client.get(path).status_code == 405
        assert client.delete(path).status_code == 405

    anonymous = {"Authorization": ""}
    problem(client.get("/v1/prompts", headers=anonymous), 401, "unauthorized")
    predict = key(db, "predict")
    assert client.get("/v1/prompts/topic", headers=predict).status_code == 200
    problem(
        client.post("/v1/prompts", json={"name": "x", "text": "y"}, headers=predict),
        403,
        "forbidden",
    )
    problem(client.delete("/v1/prompts/topic", headers=predict), 403, "forbidden")


@pytest.mark.usefixtures("train_key")
def test_render_fills_the_template_for_each_input(client):
    body = {
        "template": "Review: {{ text }}\nPositive or negative?",
        "system": "You judge {{ what }}.",
        "inputs": [{"text": "this film is great", "what": "films"}, {"text": "awful", "what": "x"}],
    }
    answer = client.post("/v1/prompts/render", json=body)
    assert answer.status_code == 200, answer.text
    rendered = answer.json()
    assert rendered["variables"] == ["text", "what"] and rendered["model"] is None
    assert rendered["results"][0] == {
        "system": "You judge films.",
        "prompt": "Review: this film is great\nPositive or negative?",
        "output": None,
    }
    client.post("/v1/prompts", json={"name": "topic", "text": "Topic of: {{ text }}"})
    saved = client.post("/v1/prompts/render", json={"prompt": "topic@1", "inputs": [{"text": "a"}]})
    assert saved.json()["results"] == [{"system": None, "prompt": "Topic of: a", "output": None}]


@pytest.mark.usefixtures("train_key")
def test_render_errors_name_the_input_and_the_variables(client):
    missing = client.post(
        "/v1/prompts/render",
        json={"template": "{{ text }} {{ topic }}", "inputs": [{"text": "a", "topic": "b"}, {}]},
    )
    body = problem(missing, 422, "invalid_template")
    assert body["detail"].startswith("inputs[1]:")
    assert body["missing"] == ["text", "topic"] and body["unknown"] == []
    unknown = client.post("/v1/prompts/render", json={"template": "x", "inputs": [{"txt": "a"}]})
    assert problem(unknown, 422, "invalid_template")["unknown"] == ["txt"]
    for template in ("{% for %}", "{{ 1 / 0 }}", "{{ text.__class__.__mro__ }}"):
        response = client.post(
            "/v1/prompts/render", json={"template": template, "inputs": [{"text": "a"}]}
        )
        problem(response, 422, "invalid_template")
    problem(
        client.post("/v1/prompts/render", json={"prompt": "nope", "inputs": [{"text": "a"}]}),
        404,
        "prompt_not_found",
    )
    both = client.post(
        "/v1/prompts/render", json={"template": "x", "prompt": "y", "inputs": [{"text": "a"}]}
    )
    assert "exactly one of template or prompt" in problem(both, 422, "validation_error")["detail"]
    for tokens in (0, 2049, "many"):  # max_new_tokens is 1 to 2048
        bad = {"template": "{{ text }}", "inputs": [{"text": "a"}], "max_new_tokens": tokens}
        problem(client.post("/v1/prompts/render", json=bad), 422, "validation_error")
    too_many = {"template": "{{ text }}", "inputs": [{"text": "a"}] * 300}
    problem(client.post("/v1/prompts/render", json=too_many), 413, "too_large")


def test_render_refuses_a_template_that_builds_too_much_quickly(client, db):
    body = {"template": "{{ text * 20000000 }}", "inputs": [{"text": "xy"}] * 256}
    headers = key(db, "predict")
    start = time.process_time()  # CPU spent, whatever the machine's other work
    answer = client.post("/v1/prompts/render", json=body, headers=headers)
    assert time.process_time() - start < 1
    detail = problem(answer, 422, "invalid_template")["detail"]
    assert detail.startswith("inputs[0]:") and "more than 100,000 characters" in detail


@pytest.mark.usefixtures("train_key")
def test_render_with_a_model_answers_each_prompt(client, models):
    inputs = [{"text": "this film is great"}, {"text": "it was bad"}]
    body = {"template": "review {{ text }}", "inputs": inputs, "model": "word-llama"}
    answer = client.post("/v1/prompts/render", json={**body, "max_new_tokens": 4})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["prompt"] for r in results] == ["review this film is great", "review it was bad"]
    assert all(len(r["output"].split()) == 4 for r in results)  # a word per token
    alone = client.post(
        "/v1/generate",
        json={
            "model": "word-llama",
            "messages": [{"role": "user", "content": "review this film is great"}],
            "max_new_tokens": 4,
        },
    )
    assert alone.json()["text"] == results[0]["output"]  # greedy, batched or not
    assert client.app.state.oi.cache.loads == 1
    problem(
        client.post("/v1/prompts/render", json={**body, "model": "no-such-model"}),
        404,
        "not_found",  # not registered, a catalogue alias or a model-store name
    )


def _upload_reviews(client) -> str:
    texts, labels = sentiment_texts(60, seed=0)
    rows = ["text,label", *(f"{t},{label}" for t, label in zip(texts, labels, strict=True))]
    data = ("\n".join(rows) + "\n").encode()
    response = client.post("/v1/datasets", files={"file": ("reviews.csv", data)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _config(dataset_id: str, **changes) -> dict:
    return {
        "name": "reviews",
        "data": f"dataset:{dataset_id}",
        "dev_fraction": 0.5,
        "dev_size": 10,
        "pool_size": 20,
        "model": "word-llama",
        "resamples": 50,
        "runs": [{"strategy": "majority"}, {"strategy": "zero-shot", "calibrate": [False, True]}],
        **changes,
    }


@pytest.mark.usefixtures("train_key")
def test_evaluate_answers_the_prompt_evaluation_table(client, models):
    dataset_id = _upload_reviews(client)
    majority = {"runs": [{"strategy": "majority"}]}
    only = client.post("/v1/prompts/evaluate", json={"config": _config(dataset_id, **majority)})
    assert only.status_code == 200, only.text
    assert client.app.state.oi.cache.loads == 0  # no language-model run: no model loaded

    answer = client.post("/v1/prompts/evaluate", json={"config": _config(dataset_id)})
    assert answer.status_code == 200, answer.text
    table = answer.json()
    assert table["name"] == "reviews" and table["labels"] == ["negative", "positive"]
    assert table["examples"] == 10 and table["settings"]["data"] == f"dataset:{dataset_id}"
    names = {row["name"] for row in table["rows"]}
    assert names == {"majority class", "LM zero-shot", "LM zero-shot + calibration"}
    accuracies = [row["accuracy"] for row in table["rows"]]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(len(row["predictions"]) == 10 for row in table["rows"])
    assert [e["change"] for e in table["effects"]] == ["calibration"]
    assert client.app.state.oi.cache.loads == 1

    client.post("/v1/prompts", json={"name": "review", "text": "{{ text }} Good or bad?"})
    saved = {"runs": [{"strategy": "zero-shot", "template": "library:review@1"}]}
    answer = client.post("/v1/prompts/evaluate", json={"config": _config(dataset_id, **saved)})
    assert answer.status_code == 200, answer.text  # found in the database, not in files
    assert len(answer.json()["rows"]) == 1


@pytest.mark.usefixtures("train_key")
def test_evaluate_finds_its_encoder_as_it_finds_a_model(
    client, isolated_home, tiny_bert_dir, tmp_path, monkeypatch
):
    """The ``encoder`` a client names resolves by the server's rules: a model-store name
    answers, a directory relative to the server's working directory does not."""
    dataset_id = _upload_reviews(client)
    shutil.copytree(tiny_bert_dir, isolated_home / "models" / "tiny-bert")
    shutil.copytree(tiny_bert_dir, tmp_path / "bert-here")
    monkeypatch.chdir(tmp_path)
    embedding = {"runs": [{"strategy": "embedding"}], "model": "no-such-model"}

    def evaluate(encoder: str):
        config = _config(dataset_id, encoder=encoder, **embedding)
        return client.post("/v1/prompts/evaluate", json={"config": config})

    answer = evaluate("tiny-bert")
    assert answer.status_code == 200, answer.text
    assert answer.json()["settings"]["encoder"] == "tiny-bert"  # not the server's path
    refused = problem(evaluate("bert-here"), 404, "not_found")["detail"]
    assert "bert-here" in refused and str(tmp_path) not in refused
    problem(evaluate("no-such-encoder"), 404, "not_found")


def test_evaluate_refuses_what_it_should_not_run(db, models):
    with make_client(db, max_prompt_eval_examples=20, max_prompt_eval_runs=2) as client:
        client.headers.update(key(db, "train"))
        dataset_id = _upload_reviews(client)

        def refusal(status: int, code: str, **changes) -> str:
            config = _config(dataset_id, **changes)
            response = client.post("/v1/prompts/evaluate", json={"config": config})
            return problem(response, status, code)["detail"]

        assert "dev_size must be at most 20" in refusal(422, "evaluation_too_large", dev_size=50)
        assert "pool_size" in refusal(422, "evaluation_too_large", pool_size=None)
        assert "at most 2 runs" in refusal(422, "evaluation_too_large", dev_size=5)
        one_run = {"runs": [{"strategy": "zero-shot"}]}
        assert "data must be" in refusal(422, "invalid_config", data="/etc/passwd", **one_run)
        assert "model must be" in refusal(422, "invalid_config", model="/tmp/model", **one_run)
        assert "num_threads" in refusal(422, "invalid_config", num_threads=2, **one_run)
        refusal(404, "not_found", model="no-such-model", **one_run)
        refusal(404, "not_found", data="dataset:ds_nope", **one_run)
        refusal(422, "invalid_config", runs=[{"strategy": "guess"}])
        bad = {"templates": {"t": "{{ text"}, "runs": [{"strategy": "zero-shot", "template": "t"}]}
        refusal(422, "invalid_template", **bad)
        saved = {"runs": [{"strategy": "zero-shot", "template": "library:nope@2"}]}
        refusal(404, "prompt_not_found", **saved)
        unused = {
            "templates": {"t": "no text here"},
            "runs": [{"strategy": "zero-shot", "template": "t"}],
        }
        refusal(422, "invalid_template", **unused)

        predict = key(db, "predict")
        config = _config(dataset_id, **one_run)
        response = client.post("/v1/prompts/evaluate", json={"config": config}, headers=predict)
        problem(response, 403, "forbidden")
