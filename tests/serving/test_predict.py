"""``/v1/models/{name}/predict`` under load: one model load, requests batched together."""

from __future__ import annotations

import asyncio

import httpx

from ..fixtures.api import key, make_client, upload_model


def test_concurrent_predictions_load_once_and_share_forward_passes(db, tiny_ner_model_dir):
    app_client = make_client(db, batch_wait_ms=20)
    with app_client as client:
        admin = key(db, "admin")
        upload_model(client, admin, "ner", tiny_ner_model_dir)
        headers = key(db, "predict")
        app = client.app

        async def burst() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                calls = [
                    http.post(
                        "/v1/models/ner/predict",
                        headers=headers,
                        json={"texts": [f"mary visited paris {i}"]},
                    )
                    for i in range(16)
                ]
                return await asyncio.gather(*calls)

        responses = asyncio.run(burst())
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        state = app.state.oi
        assert state.cache.loads == 1
        (loaded,) = state.cache._models.values()
        assert loaded.batcher.batched_texts == 16
        assert loaded.batcher.batches < 16
