"""Generation over HTTP: /v1/generate (plain and SSE) and /v1/chat/completions; which model
names a client may send."""

from __future__ import annotations

import json
import shutil

import pytest

from ..fixtures.api import key, make_client, problem
from ..models.hub_cache import fake_cache_snapshot

SERVED = "is not registered, a catalogue alias or a model-store name on this server"


@pytest.fixture(autouse=True)
def tiny_llama(client, db, tiny_llama_dir, isolated_home):
    """The tiny Llama chat model in the server's model store as ``tiny-llama``; the client
    sends a predict key."""
    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    client.headers.update(key(db, "predict"))


def test_generate_answers_and_streams(client):
    body = {"model": "tiny-llama", "prompt": "what colour is the sky?", "max_new_tokens": 6}
    response = client.post("/v1/generate", json=body)
    assert response.status_code == 200, response.text
    text = response.json()["text"]
    assert isinstance(text, str)
    with client.stream("POST", "/v1/generate", json={**body, "stream": True}) as stream:
        lines = list(stream.iter_lines())
    pieces = [json.loads(line[6:])["text"] for line in lines if line.startswith('data: {"text')]
    assert "".join(pieces).strip() == text.strip()  # greedy: the stream spells the same answer
    end = lines.index("event: end")
    assert json.loads(lines[end + 1][6:]) == {
        "finish_reason": response.json()["finish_reason"],
        "usage": response.json()["usage"],
    }
    assert client.app.state.oi.cache.loads == 1


def test_an_answer_cut_by_its_length_says_so(client):
    """The random tiny model never ends an answer within 6 tokens: ``max_new_tokens`` cuts it;
    a stop string found in the answer ends it instead."""
    body = {"model": "tiny-llama", "prompt": "what colour is the sky?", "max_new_tokens": 6}
    cut = client.post("/v1/generate", json=body).json()
    assert cut["finish_reason"] == "length"
    usage = cut["usage"]
    assert usage["completion_tokens"] == 6 and usage["prompt_tokens"] > 5
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    text = cut["text"]
    stop = text[len(text) // 2 :][:2]
    stopped = client.post("/v1/generate", json={**body, "stop": [stop]}).json()
    assert stopped["finish_reason"] == "stop"
    assert stopped["text"] == text[: text.find(stop)].strip()


def test_chat_completions_subset(client):
    body = {
        "model": "tiny-llama",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "what colour is grass?"}],
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "length"
    usage = response.json()["usage"]
    assert usage["completion_tokens"] == 5
    assert usage["total_tokens"] == usage["prompt_tokens"] + 5
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    choices = [json.loads(line[6:])["choices"][0] for line in lines[:-1]]
    streamed = "".join(c["delta"].get("content", "") for c in choices)
    assert streamed.strip() == choice["message"]["content"].strip()
    assert [c["finish_reason"] for c in choices][-1] == "length"


def test_generation_errors_are_problems(client):
    both = client.post(
        "/v1/generate",
        json={"model": "tiny-llama", "prompt": "x", "messages": [{"role": "user", "content": "x"}]},
    )
    assert both.status_code == 422 and "exactly one of prompt or messages" in both.text
    missing = client.post("/v1/generate", json={"model": "no-such-model", "prompt": "x"})
    assert SERVED in problem(missing, 404, "not_found")["detail"]


def test_a_model_name_is_never_a_directory_on_the_server(
    client, tiny_llama_dir, tmp_path, monkeypatch
):
    for name in ("llama", "org/llama"):  # relative to the server's working directory
        shutil.copytree(tiny_llama_dir, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for name in ("llama", "org/llama"):
        for route, body in (
            ("/v1/generate", {"prompt": "x"}),
            ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}),
        ):
            refused = problem(client.post(route, json={"model": name, **body}), 404, "not_found")
            assert SERVED in refused["detail"] and str(tmp_path) not in refused["detail"]
    absolute = client.post("/v1/generate", json={"model": str(tiny_llama_dir), "prompt": "x"})
    problem(absolute, 422, "validation_error")  # no model name has the shape of a path
    stored = client.post("/v1/generate", json={"model": "tiny-llama", "prompt": "x"})
    assert stored.status_code == 200, stored.text
    assert client.app.state.oi.cache.loads == 1


def test_the_hugging_face_cache_serves_only_when_the_server_allows_it(
    db, client, tiny_llama_dir, monkeypatch
):
    fake_cache_snapshot(tiny_llama_dir, "acme/tiny-llama")
    body = {"model": "acme/tiny-llama", "prompt": "x", "max_new_tokens": 2}
    problem(client.post("/v1/generate", json=body), 404, "not_found")
    monkeypatch.setenv("OI_ALLOW_HUB", "true")
    with make_client(db) as allowed:
        allowed.headers.update(key(db, "predict"))
        answer = allowed.post("/v1/generate", json=body)
    assert answer.status_code == 200, answer.text
