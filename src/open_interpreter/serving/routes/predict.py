"""``POST /v1/models/{name}/predict``: labels or entity spans, dynamically batched."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from open_interpreter.errors import DataError
from open_interpreter.serving.deps import PredictKey, StateDep
from open_interpreter.serving.drift import on_drift
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import PredictRequest, PredictResponse

router = APIRouter(prefix="/models", tags=["predict"])


@router.post("/{name}/predict")
async def predict(
    name: str, body: PredictRequest, state: StateDep, _key: PredictKey
) -> PredictResponse:
    """Predict for a batch of inputs with a model's production version (or the one named).

    Concurrent requests to the same model are gathered into one forward pass.
    """
    if len(body.texts) > state.settings.max_texts_per_request:
        raise Problem(
            413, "too_large", f"at most {state.settings.max_texts_per_request} texts per request"
        )
    number, path = await state.versions.resolve(name, body.version, body.stage)
    loaded = state.cache.loaded_predictor(path) or await run_in_threadpool(
        state.cache.get_predictor, path
    )
    try:
        inputs = loaded.interpreter.task.check_inputs(body.texts)
    except DataError as exc:
        raise Problem(422, "validation_error", str(exc)) from None
    predictions = [p.to_dict() for p in await loaded.batcher.predict(inputs)]
    state.metrics.predicted.labels(model=name, backend=loaded.backend).inc(len(inputs))
    drifted = state.drift.observe(name, number, path, loaded, predictions)
    if drifted is not None:  # it has just drifted: recorded, and perhaps a continue job
        await run_in_threadpool(on_drift, state.db, name, number, drifted)
    return PredictResponse(
        model=name,
        version=number,
        task=loaded.interpreter.task.name,
        backend=loaded.backend,
        predictions=predictions,
    )
