"""LoRA adapters on one base model: the base loads once, each adapter keeps its own head.

Three LoRA adapters are fine-tuned on the tiny BERT for different label sets (three
topics; positive/negative; up/down — the same head shape with other names). Served through
the model cache and the API, each must answer exactly as the adapter loaded on its own.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest

from open_interpreter import OpenInterpreter
from open_interpreter.serving.model_cache import ModelCache, model_bytes

from ..fixtures.api import key, make_client, upload_model
from ..fixtures.data import colour_chats, sentiment_texts

TEXTS = [
    "the film is good",
    "this movie is awful",
    "the cat sat on the mat",
    "john visited paris",
    "mary works at acme corp",
    "the dog ran in the park",
    "loved it",
    "hated this film",
]


def _topics(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    kinds = {
        "animals": lambda: f"the {rng.choice(['cat', 'dog'])} {rng.choice(['sat', 'ran'])}",
        "travel": lambda: (
            f"{rng.choice(['john', 'mary'])} visited {rng.choice(['paris', 'london'])}"
        ),
        "films": lambda: f"{rng.choice(['the', 'this'])} {rng.choice(['film', 'movie'])} is good",
    }
    labels = [rng.choice(sorted(kinds)) for _ in range(n)]
    return [kinds[label]() for label in labels], labels


def _train(base: Path, texts: list[str], labels: list[str], into: Path, seed: int) -> Path:
    interpreter = OpenInterpreter(str(base))
    interpreter.fine_tune(
        train_data=texts,
        train_labels=labels,
        peft={"method": "lora", "r": 4},
        epochs=8,
        learning_rate=2e-2,
        batch_size=8,
        seed=seed,
        precision="fp32",
        progress=False,
    )
    return interpreter.save(into)


@pytest.fixture(scope="module")
def adapters(tiny_bert_dir, tmp_path_factory) -> dict[str, Path]:
    """Three LoRA adapters on the tiny BERT, for different label sets."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("adapters")
    sentiment, polarity = sentiment_texts(48, seed=1)
    flipped = ["down" if label == "positive" else "up" for label in polarity]
    made = {
        "topics": _train(tiny_bert_dir, *_topics(48, seed=2), root / "topics", seed=2),
        "sentiment": _train(tiny_bert_dir, sentiment, polarity, root / "sentiment", seed=1),
        "updown": _train(tiny_bert_dir, sentiment, flipped, root / "updown", seed=3),
    }
    torch.set_num_threads(threads)
    return made


@pytest.fixture(scope="module")
def standalone(adapters) -> dict[str, OpenInterpreter]:
    """Each adapter loaded on its own base, the way ``OpenInterpreter.load`` does."""
    return {name: OpenInterpreter.load(path) for name, path in adapters.items()}


def _expected(standalone: dict[str, OpenInterpreter]) -> dict[str, list[dict]]:
    return {name: [p.to_dict() for p in it.predict(TEXTS)] for name, it in standalone.items()}


def _same(got: list[dict], expected: list[dict]) -> None:
    assert [p["label"] for p in got] == [p["label"] for p in expected]
    for g, e in zip(got, expected, strict=True):
        assert g["scores"] == pytest.approx(e["scores"], abs=1e-5)


def _version_dir(db, name: str) -> Path:
    from open_interpreter.services import registry
    from open_interpreter.storage import artifacts

    with db.session() as session:
        return artifacts.resolve(registry.get_version(session, name).path)


def _logits(model, inputs):
    import torch

    with torch.inference_mode():
        return model(**inputs).logits


def _wait_for(cache: ModelCache, loaded) -> None:
    """Let the base's thread finish what was queued on it (an adapter being taken off)."""
    cache._bases[loaded.base].batcher.executor.submit(lambda: None).result()


def test_adapters_share_one_base_and_answer_as_on_their_own(adapters, standalone, tiny_bert_dir):
    expected = _expected(standalone)
    assert len({p["label"] for p in expected["topics"]}) > 1  # the adapters learned something
    cache = ModelCache(10**10, batch_wait_ms=20, max_batch_size=64)
    loaded = {name: cache.get(adapters[name]) for name in ("topics", "sentiment", "updown")}
    assert (cache.loads, cache.adapter_loads, len(cache)) == (1, 3, 3)
    assert len({id(m.interpreter.model) for m in loaded.values()}) == 1
    assert cache.shared_bases() == {str(tiny_bert_dir): 3}
    assert cache.get(adapters["sentiment"]) is loaded["sentiment"]

    async def burst() -> dict[str, list[list[dict]]]:
        names = [name for _ in range(4) for name in loaded]
        calls = [loaded[name].batcher.predict(TEXTS) for name in names]
        answers = await asyncio.gather(*calls)
        found: dict[str, list[list[dict]]] = {name: [] for name in loaded}
        for name, answer in zip(names, answers, strict=True):
            found[name].append([p.to_dict() for p in answer])
        return found

    found = asyncio.run(burst())
    for name, answers in found.items():
        assert {p["label"] for answer in answers for p in answer} <= set(standalone[name].labels), (
            f"{name} answered with another adapter's labels"
        )
        for answer in answers:
            _same(answer, expected[name])
    batcher = loaded["topics"].batcher
    assert batcher.batched_texts == 12 * len(TEXTS)
    assert 3 <= batcher.batches < 12  # one forward pass per adapter per batch, never mixed

    # Evaluation computes a loss, which needs the active head's label count.
    texts, labels = sentiment_texts(16, seed=9)

    async def evaluate():
        return await loaded["sentiment"].batcher.run(lambda it: it.evaluate(texts, labels))

    report = asyncio.run(evaluate())
    alone = standalone["sentiment"].evaluate(texts, labels)
    assert (report.accuracy, report.loss) == pytest.approx((alone.accuracy, alone.loss), abs=1e-5)
    cache.close()


def test_memory_counts_the_base_once_and_eviction_keeps_it_while_used(
    adapters, standalone, tiny_bert_dir, tmp_path
):
    cache = ModelCache(10**10, batch_wait_ms=5, max_batch_size=64)
    topics = cache.get(adapters["topics"])
    (base,) = cache._bases.values()
    # The first adapter on the base: the base with its head, plus the adapter and its head.
    assert base.size_bytes + topics.size_bytes == model_bytes(standalone["topics"])
    assert topics.size_bytes < base.size_bytes / 5
    sentiment = cache.get(adapters["sentiment"])
    assert cache.total_bytes() == base.size_bytes + topics.size_bytes + sentiment.size_bytes

    cache.budget = cache.total_bytes()  # the third adapter pushes the oldest out
    updown = cache.get(adapters["updown"])
    _wait_for(cache, updown)
    assert list(cache._models) == [str(adapters["sentiment"]), str(adapters["updown"])]
    assert sorted(base.model.peft_config) == sorted([sentiment.adapter, updown.adapter])
    assert cache.loads == 1  # the base stayed: other adapters use it
    assert cache.total_bytes() == base.size_bytes + sentiment.size_bytes + updown.size_bytes
    _same(
        [p.to_dict() for p in asyncio.run(updown.batcher.predict(TEXTS))],
        _expected({"updown": standalone["updown"]})["updown"],
    )

    # A whole model pushes out the last adapters, and the base goes with them.
    whole = OpenInterpreter(str(tiny_bert_dir))
    texts, labels = sentiment_texts(16, seed=4)
    whole.fine_tune(train_data=texts, train_labels=labels, epochs=1, progress=False)
    cache.budget = 0
    cache.get(whole.save(tmp_path / "whole"))
    assert (len(cache), cache._bases, cache.loads) == (1, {}, 2)
    again = cache.get(adapters["topics"])
    assert cache.loads == 3 and again.base is not None  # a fresh base for a fresh adapter
    cache.close()


def _on_store_base(adapter: Path, base: Path, home: Path, into: Path) -> Path:
    """A copy of ``adapter`` whose base model is a model-store name (an uploaded adapter may
    not name a server path), with ``base`` copied into the store under that name."""
    import shutil

    name = f"base-{base.name}"
    if not (home / "models" / name).exists():
        shutil.copytree(base, home / "models" / name)
    copy = into / adapter.name
    shutil.copytree(adapter, copy)
    manifest = json.loads((copy / "oi_model.json").read_text())
    manifest["base_model"] = manifest["adapter"]["base_model"] = name
    (copy / "oi_model.json").write_text(json.dumps(manifest))
    return copy


def test_the_api_serves_two_adapters_concurrently_on_one_base(
    db, adapters, standalone, tiny_bert_dir, isolated_home, tmp_path
):
    expected = _expected(standalone)
    with make_client(db, batch_wait_ms=20) as client:
        admin = key(db, "admin")
        for name in ("topics", "sentiment"):
            adapter = _on_store_base(adapters[name], tiny_bert_dir, isolated_home, tmp_path)
            upload_model(client, admin, name, adapter)
        headers = key(db, "predict")
        app = client.app

        async def burst() -> list[tuple[str, httpx.Response]]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                names = ["topics", "sentiment"] * 6
                calls = [
                    http.post(f"/v1/models/{n}/predict", headers=headers, json={"texts": TEXTS})
                    for n in names
                ]
                return list(zip(names, await asyncio.gather(*calls), strict=True))

        for name, response in asyncio.run(burst()):
            assert response.status_code == 200, response.text
            _same(response.json()["predictions"], expected[name])
        state = app.state.oi
        assert (state.cache.loads, state.cache.adapter_loads) == (1, 2)
        assert client.get("/health").json()["shared_bases"] == 1
        metrics = client.get("/metrics", headers=admin).text
        assert "oi_shared_base_adapters{" in metrics and "} 2.0" in metrics


@pytest.fixture(scope="module")
def chat_adapters(tiny_llama_dir, tmp_path_factory) -> dict[str, Path]:
    """Two LoRA chat adapters on the tiny Llama, trained differently."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("chat_adapters")
    made = {}
    for name, seed, rate in (("calm", 1, 1e-2), ("bold", 2, 3e-2)):
        interpreter = OpenInterpreter(str(tiny_llama_dir))
        interpreter.fine_tune(
            train_data=colour_chats(64, seed=seed),
            peft={"method": "lora", "r": 4},
            epochs=2,
            learning_rate=rate,
            batch_size=16,
            warmup_ratio=0.0,
            seed=seed,
            precision="fp32",
            progress=False,
        )
        made[name] = interpreter.save(root / name)
    torch.set_num_threads(threads)
    return made


def test_chat_adapters_generate_and_stream_through_one_base(
    db, chat_adapters, tiny_llama_dir, isolated_home, tmp_path
):
    import torch

    prompt = "what colour is the sky?"
    alone = {name: OpenInterpreter.load(path) for name, path in chat_adapters.items()}
    expected = {name: it.generate(prompt, max_new_tokens=6) for name, it in alone.items()}
    inputs = alone["calm"].tokenizer(prompt, return_tensors="pt")
    logits = {name: _logits(it.model, inputs) for name, it in alone.items()}
    assert not torch.allclose(logits["calm"], logits["bold"], atol=1e-4)

    with make_client(db) as client:
        admin = key(db, "admin")
        for name, path in chat_adapters.items():
            adapter = _on_store_base(path, tiny_llama_dir, isolated_home, tmp_path)
            upload_model(client, admin, name, adapter)
        headers = key(db, "predict")
        app = client.app

        async def burst() -> list[tuple[str, bool, httpx.Response]]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                asked = [(n, s) for n in ("calm", "bold") for s in (False, True)] * 2
                calls = [
                    http.post(
                        "/v1/generate",
                        headers=headers,
                        json={"model": n, "prompt": prompt, "max_new_tokens": 6, "stream": s},
                    )
                    for n, s in asked
                ]
                answers = await asyncio.gather(*calls)
                return [(n, s, r) for (n, s), r in zip(asked, answers, strict=True)]

        for name, streamed, response in asyncio.run(burst()):
            assert response.status_code == 200, response.text
            if streamed:
                lines = response.text.splitlines()
                pieces = [json.loads(x[6:])["text"] for x in lines if x.startswith('data: {"text')]
                assert "".join(pieces).strip() == expected[name].strip()
            else:
                assert response.json()["text"] == expected[name]

        cache = app.state.oi.cache
        assert (cache.loads, cache.adapter_loads) == (1, 2)
        served = {name: cache.get(_version_dir(db, name)) for name in chat_adapters}

        async def forward(name: str):
            return await served[name].batcher.run(lambda it: _logits(it.model, inputs))

        for name in ("bold", "calm", "bold"):
            assert torch.allclose(asyncio.run(forward(name)), logits[name], atol=1e-5)
