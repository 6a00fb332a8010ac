"""The official ``openai`` package against the server's OpenAI-compatible routes
(``/v1/chat/completions`` and ``/v1/completions``), plain and streamed: answers, why they
ended, token counts, and errors the SDK raises as its own exception classes."""

from __future__ import annotations

import shutil

import openai
import pytest

from ..fixtures.api import key


@pytest.fixture
def sdk(client, db, tiny_llama_dir, isolated_home) -> openai.OpenAI:
    """An ``openai.OpenAI`` client on the app (through its TestClient) with a predict key,
    and the tiny Llama chat model in the server's model store as ``tiny-llama``."""
    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    secret = key(db, "predict")["Authorization"].removeprefix("Bearer ")
    return openai.OpenAI(
        base_url=f"{client.base_url}/v1", api_key=secret, http_client=client, max_retries=0
    )


MESSAGES = [{"role": "user", "content": "what colour is grass?"}]


def test_chat_completion_cut_by_max_tokens(sdk):
    answer = sdk.chat.completions.create(model="tiny-llama", messages=MESSAGES, max_tokens=5)
    assert answer.object == "chat.completion" and answer.model == "tiny-llama"
    choice = answer.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert choice.finish_reason == "length"  # the random tiny model never ends in 5 tokens
    usage = answer.usage
    assert usage.completion_tokens == 5 and usage.prompt_tokens > 5
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_completion_streamed_spells_the_same_answer(sdk):
    whole = sdk.chat.completions.create(model="tiny-llama", messages=MESSAGES, max_tokens=5)
    chunks = list(
        sdk.chat.completions.create(
            model="tiny-llama",
            messages=MESSAGES,
            max_tokens=5,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed.strip() == whole.choices[0].message.content.strip()  # greedy
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "length" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


def test_text_completion_plain_batched_and_streamed(sdk):
    one = sdk.completions.create(model="tiny-llama", prompt="The sky is", max_tokens=4)
    assert one.object == "text_completion" and one.choices[0].finish_reason == "length"
    assert one.usage.completion_tokens == 4
    assert one.usage.total_tokens == one.usage.prompt_tokens + 4
    # no chat template: the prompt is continued as it is, so it costs only its own tokens
    chat = sdk.chat.completions.create(
        model="tiny-llama", messages=[{"role": "user", "content": "The sky is"}], max_tokens=4
    )
    assert one.usage.prompt_tokens < chat.usage.prompt_tokens
    both = sdk.completions.create(
        model="tiny-llama", prompt=["The sky is", "Grass is green and"], max_tokens=4
    )
    assert [c.index for c in both.choices] == [0, 1]
    assert both.choices[0].text == one.choices[0].text  # greedy, the same prompt
    assert both.usage.completion_tokens == 8
    chunks = list(
        sdk.completions.create(
            model="tiny-llama",
            prompt="The sky is",
            max_tokens=4,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    streamed = "".join(c.choices[0].text for c in chunks if c.choices)
    assert streamed.strip() == one.choices[0].text.strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage == one.usage


def test_a_stop_string_ends_the_answer_with_finish_reason_stop(sdk):
    cut = sdk.completions.create(model="tiny-llama", prompt="The sky is", max_tokens=6)
    text = cut.choices[0].text
    stop = text.split()[-1]  # a stop string given as one string, as OpenAI allows
    stopped = sdk.completions.create(
        model="tiny-llama", prompt="The sky is", max_tokens=6, stop=stop
    )
    assert stopped.choices[0].finish_reason == "stop"
    assert stop not in stopped.choices[0].text and text.startswith(stopped.choices[0].text)
    assert stopped.usage.completion_tokens < cut.usage.completion_tokens


def test_errors_are_the_sdks_own_exceptions_with_openais_error_object(sdk, client):
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert missing.value.code == "not_found" and "no-such-model" in missing.value.message
    with pytest.raises(openai.UnprocessableEntityError) as invalid:
        sdk.completions.create(model="tiny-llama", prompt="x", max_tokens=0)
    assert invalid.value.code == "validation_error" and "max_tokens" in str(invalid.value.body)
    with pytest.raises(openai.UnprocessableEntityError):
        sdk.completions.create(model="tiny-llama", prompt=["a", "b"], max_tokens=2, stream=True)
    with pytest.raises(openai.UnprocessableEntityError) as several:
        sdk.completions.create(model="tiny-llama", prompt="x", n=2)
    assert "n" in str(several.value.body)
    wrong_key = openai.OpenAI(
        base_url=str(sdk.base_url), api_key="oi_wrong", http_client=client, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong_key.completions.create(model="tiny-llama", prompt="x")
    assert refused.value.code == "unauthorized"


def test_problem_details_keep_their_shape_elsewhere(client, db):
    """Only the OpenAI routes add the ``error`` object; every other problem is as it was."""
    client.headers.update(key(db, "predict"))
    other = client.post("/v1/generate", json={"model": "no-such-model", "prompt": "x"})
    assert other.status_code == 404 and "error" not in other.json()
    openai_route = client.post("/v1/completions", json={"model": "no-such-model", "prompt": "x"})
    body = openai_route.json()
    assert openai_route.status_code == 404
    assert body["code"] == body["error"]["code"] == "not_found"
    assert body["error"]["message"] == body["detail"]


@pytest.mark.slow
def test_the_sdk_against_a_real_oi_serve(db, tmp_path, tiny_llama_dir):
    """The same SDK calls over a real socket to ``oi serve`` (uvicorn), streamed too."""
    import os

    from ..fixtures.servers import oi, oi_serve

    home = tmp_path / "home"
    shutil.copytree(tiny_llama_dir, home / "models" / "tiny-llama")
    env = {**os.environ, "OI_HOME": str(home), "OI_DATABASE_URL": db.url}
    secret = oi("keys", "create", "--scope", "predict", env=env)
    with oi_serve("--workers", "0", env=env, log=tmp_path / "serve.log") as base:
        sdk = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)
        chat = sdk.chat.completions.create(model="tiny-llama", messages=MESSAGES, max_tokens=3)
        assert chat.choices[0].finish_reason == "length" and chat.usage.completion_tokens == 3
        pieces = sdk.completions.create(
            model="tiny-llama", prompt="The sky is", max_tokens=3, stream=True
        )
        assert [c.choices[0].finish_reason for c in pieces][-1] == "length"
        with pytest.raises(openai.NotFoundError):
            sdk.completions.create(model="no-such-model", prompt="x")


def test_the_sdk_lists_and_retrieves_registered_models(sdk, db, tiny_ner_model_dir):
    from open_interpreter.services.registry import register_directory

    with db.session() as session:
        register_directory(session, model_name="people-ner", path=tiny_ner_model_dir)
    [listed] = sdk.models.list().data
    assert listed.id == "people-ner" and listed.object == "model"
    assert listed.owned_by == "open-interpreter" and listed.created > 1_700_000_000
    assert sdk.models.retrieve("people-ner").id == "people-ner"
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("nothere")
