"""Generation over HTTP: /v1/generate (plain and SSE) and /v1/chat/completions."""

from __future__ import annotations

import json
import shutil

import pytest

from ..fixtures.api import key


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
    assert "event: end" in lines
    assert client.app.state.oi.cache.loads == 1


def test_chat_completions_subset(client):
    body = {
        "model": "tiny-llama",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "what colour is grass?"}],
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    deltas = [json.loads(line[6:])["choices"][0]["delta"] for line in lines[:-1]]
    streamed = "".join(d.get("content", "") for d in deltas)
    assert streamed.strip() == choice["message"]["content"].strip()


def test_generation_errors_are_problems(client):
    both = client.post(
        "/v1/generate",
        json={"model": "tiny-llama", "prompt": "x", "messages": [{"role": "user", "content": "x"}]},
    )
    assert both.status_code == 422 and "exactly one of prompt or messages" in both.text
    missing = client.post("/v1/generate", json={"model": "no-such-model", "prompt": "x"})
    assert missing.status_code == 404 and missing.json()["code"] == "model_not_found"
