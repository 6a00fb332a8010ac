"""The serving benchmark's reference: a ``transformers`` pipeline behind a minimal FastAPI app.

    NAIVE_APP_MODEL=DIR .venv/bin/python -m uvicorn naive_app:app --app-dir benchmarks
    NAIVE_APP_MODEL=DIR NAIVE_APP_ONNX=FILE .venv/bin/python -m uvicorn naive_app:app ...

The way a user would wrap a pipeline: one pipeline loaded at start, called on each
request's texts in a plain ``def`` route (FastAPI runs those in its thread pool, so
concurrent requests run concurrently). ``aggregation_strategy="first"`` as in the
inference benchmark. Scores are turned into floats because numpy floats are not JSON.
With ``NAIVE_APP_ONNX`` (an exported ``model.onnx``), the pipeline's forward pass runs in
ONNX Runtime, as an Optimum user's would (``onnx_pipeline.py``).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from transformers import pipeline

if os.environ.get("NAIVE_APP_ONNX"):
    from onnx_pipeline import onnx_pipeline

    tagger = onnx_pipeline(
        os.environ["NAIVE_APP_MODEL"], os.environ["NAIVE_APP_ONNX"], aggregation_strategy="first"
    )
else:
    tagger = pipeline(
        "token-classification", model=os.environ["NAIVE_APP_MODEL"], aggregation_strategy="first"
    )
app = FastAPI(title="naive pipeline app")


class PredictRequest(BaseModel):
    """Texts to tag."""

    texts: list[str]


@app.get("/health")
def health() -> dict[str, str]:
    """Ready once the pipeline is loaded (it loads before the server listens)."""
    return {"status": "ok"}


@app.post("/predict")
def predict(request: PredictRequest) -> list[list[dict[str, Any]]]:
    """Tag each text: its entities with type, score, word and character offsets."""
    return [
        [
            {
                "entity_group": entity["entity_group"],
                "score": float(entity["score"]),
                "word": entity["word"],
                "start": int(entity["start"]),
                "end": int(entity["end"]),
            }
            for entity in entities
        ]
        for entities in tagger(request.texts)
    ]
