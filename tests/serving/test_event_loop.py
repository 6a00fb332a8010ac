"""No route blocks the event loop: while one request stores an upload, copies a model into
the registry or looks rows up in the database, the server still answers everyone else.

Each case holds one piece of a route's slow work (a file write, a copy, a query) at a
gate until ``/health`` has been answered. Work done on the event loop holds the loop
too, so ``/health`` cannot be answered until the gate gives up: the case fails.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ..fixtures.api import key, make_client, tar_gz, upload_model
from ..fixtures.data import conll_bytes, sentiment_texts

GATE_S = 3.0  # how long held work waits for /health before the case counts as blocked


class Gate:
    """Holds the first call of a function it wraps until the test opens it (at most GATE_S)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.opened_in_time: bool | None = None

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` held at this gate (a plain function, so a method stays a method)."""

        @functools.wraps(fn)
        def held(*args: Any, **kwargs: Any) -> Any:
            if not self.entered.is_set():
                self.entered.set()
                self.opened_in_time = self.opened.wait(GATE_S)
            return fn(*args, **kwargs)

        return held


def _reviews_csv() -> bytes:
    texts, labels = sentiment_texts(20, seed=0)
    rows = ["text,label", *(f"{t},{label}" for t, label in zip(texts, labels, strict=True))]
    return ("\n".join(rows) + "\n").encode()


def _upload_dataset(http: httpx.AsyncClient, headers: dict, _setup: dict) -> Any:
    files = {"file": ("train.conll", conll_bytes(10, 0))}
    return http.post("/v1/datasets", headers=headers, files=files)


def _upload_model(http: httpx.AsyncClient, headers: dict, setup: dict) -> Any:
    files = {"archive": ("ner.tar.gz", setup["archive"])}
    return http.post("/v1/models", headers=headers, data={"name": "uploaded"}, files=files)


def _evaluate_model(http: httpx.AsyncClient, headers: dict, setup: dict) -> Any:
    body = {"model_name": "ner", "dataset_id": setup["conll"]}
    return http.post("/v1/evaluations", headers=headers, json=body)


def _evaluate_prompts(http: httpx.AsyncClient, headers: dict, setup: dict) -> Any:
    config = {
        "name": "reviews",
        "data": f"dataset:{setup['reviews']}",
        "dev_fraction": 0.5,
        "dev_size": 10,
        "pool_size": 10,
        "resamples": 20,
        "runs": [{"strategy": "majority"}],
    }
    return http.post("/v1/prompts/evaluate", headers=headers, json={"config": config})


CASES = {
    "dataset upload: storing and validating the file": (
        "open_interpreter.services.datasets.store_upload",
        _upload_dataset,
    ),
    "model upload: checking the unpacked model": (
        "open_interpreter.serving.routes.models.check_saved_model",
        _upload_model,
    ),
    "model upload: copying into the registry": (
        "open_interpreter.services.registry.register_directory",
        _upload_model,
    ),
    "model upload: removing the unpacked copy": ("shutil.rmtree", _upload_model),
    "evaluation: finding the version": (
        "open_interpreter.services.registry.get_version",
        _evaluate_model,
    ),
    "evaluation: storing the report": ("sqlalchemy.orm.Session.commit", _evaluate_model),
    "prompt evaluation: finding the dataset": (
        "open_interpreter.services.datasets.get_dataset",
        _evaluate_prompts,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_slow_work_of_a_request_leaves_the_server_answering(
    case, db, tiny_ner_model_dir, monkeypatch
):
    target, send = CASES[case]
    with make_client(db) as client:
        admin = key(db, "admin")
        upload_model(client, admin, "ner", tiny_ner_model_dir)
        setup = {"archive": tar_gz(tiny_ner_model_dir)}
        for name, filename, data in [
            ("conll", "dev.conll", conll_bytes(6, 1)),
            ("reviews", "reviews.csv", _reviews_csv()),
        ]:
            response = client.post("/v1/datasets", headers=admin, files={"file": (filename, data)})
            setup[name] = response.json()["id"]
        module, _, attribute = target.rpartition(".")
        owner = _imported(module)
        gate = Gate()
        monkeypatch.setattr(owner, attribute, gate.wrap(getattr(owner, attribute)))

        async def scenario() -> tuple[httpx.Response, httpx.Response]:
            transport = httpx.ASGITransport(app=client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                slow = asyncio.create_task(send(http, admin, setup))
                while not gate.entered.is_set() and not slow.done():
                    await asyncio.sleep(0.01)
                health = await http.get("/health")
                gate.opened.set()
                return await slow, health

        slow, health = asyncio.run(scenario())
    assert gate.entered.is_set(), f"{target} was never called"
    assert health.status_code == 200, health.text
    assert slow.status_code in (200, 201), slow.text
    assert gate.opened_in_time, f"{case}: the event loop waited for {target}"


def _imported(dotted: str) -> Any:
    """The module or class ``dotted`` names (``sqlalchemy.orm.Session``)."""
    import importlib

    if dotted == "shutil":
        return shutil
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        module, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(module), name)


def test_a_request_holds_no_connection_while_it_waits_for_a_thread(
    tmp_path, tiny_llama_dir, isolated_home, monkeypatch
):
    """One thread and one pooled connection: a generate request that looked its model up
    must give its connection back before it waits for the thread again, or the request
    that took the thread meanwhile (here: checking its key) waits for that connection
    until the pool gives up."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from open_interpreter.services import models
    from open_interpreter.storage import Database

    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    db = Database(f"sqlite:///{tmp_path / 'oi.db'}")
    db.engine = create_engine(db.url, pool_size=1, max_overflow=0, pool_timeout=1)
    db.sessions = sessionmaker(db.engine, expire_on_commit=False)
    gate = Gate()
    looked_up = gate.wrap(lambda: None)
    find_model = models.find_model

    def find_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = find_model(*args, **kwargs)  # the session now holds the one connection
        looked_up()
        return found

    monkeypatch.setattr(models, "find_model", find_then_wait)
    with make_client(db) as client:
        headers = key(db, "predict")

        async def scenario() -> tuple[httpx.Response, httpx.Response]:
            import anyio

            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = 1
            transport = httpx.ASGITransport(app=client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                body = {"model": "tiny-llama", "prompt": "sky?", "max_new_tokens": 2}
                generate = asyncio.create_task(
                    http.post("/v1/generate", json=body, headers=headers)
                )
                while not gate.entered.is_set():
                    await asyncio.sleep(0.01)
                other = asyncio.create_task(
                    http.post("/v1/models/none/predict", json={"texts": ["x"]}, headers=headers)
                )
                while limiter.statistics().tasks_waiting == 0:  # it waits for the thread
                    await asyncio.sleep(0.01)
                gate.opened.set()
                return await generate, await other

        generated, other = asyncio.run(scenario())
    db.dispose()
    assert generated.status_code == 200, generated.text
    assert other.status_code == 404, other.text  # its key checked, its model not found


def test_every_thread_of_the_server_can_hold_a_connection_at_once(db, monkeypatch):
    """As many requests as AnyIO has threads, each holding a connection at the same moment:
    the pool has one for each, so under load a request waits for a thread (as long as it
    takes), never for a connection (which gives up after 30 s: a 503)."""
    import anyio

    from open_interpreter.services import registry

    threads = anyio.to_thread.current_default_thread_limiter
    arrived = threading.Barrier(40, timeout=20)  # AnyIO's default; checked below
    list_models = registry.list_models

    def list_then_wait(*args: Any, **kwargs: Any) -> Any:
        models = list_models(*args, **kwargs)  # the request's session now holds a connection
        arrived.wait()
        return models

    monkeypatch.setattr(registry, "list_models", list_then_wait)
    with make_client(db) as client:
        headers = key(db, "predict")

        async def scenario() -> list[httpx.Response]:
            assert threads().total_tokens == arrived.parties
            transport = httpx.ASGITransport(app=client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                calls = [http.get("/v1/models", headers=headers) for _ in range(arrived.parties)]
                return await asyncio.gather(*calls)

        responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * arrived.parties, responses[0].text
