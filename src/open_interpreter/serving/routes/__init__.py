"""One router per resource, gathered here."""

from fastapi import APIRouter

from open_interpreter.serving.routes import (
    datasets,
    evaluations,
    fine_tunes,
    health,
    models,
    predict,
)

api = APIRouter(prefix="/v1")
api.include_router(datasets.router)
api.include_router(models.router)
api.include_router(predict.router)
api.include_router(fine_tunes.router)
api.include_router(evaluations.router)

__all__ = ["api", "health"]
