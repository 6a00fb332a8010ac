"""One router per resource, gathered here."""

from fastapi import APIRouter

from open_interpreter.serving.routes import (
    assistants,
    audit,
    datasets,
    evaluations,
    explain,
    exports,
    feedback,
    fine_tune_history,
    fine_tunes,
    generate,
    health,
    models,
    monitor_classifiers,
    monitor_stream,
    monitors,
    predict,
    prompts,
    recommenders,
    resources,
    studies,
    version_reports,
    workers,
)

api = APIRouter(prefix="/v1")
api.include_router(datasets.router)
api.include_router(models.router)
api.include_router(version_reports.router)
api.include_router(exports.router)
api.include_router(predict.router)
api.include_router(feedback.router)
api.include_router(explain.router)
api.include_router(generate.router)
api.include_router(prompts.router)
api.include_router(fine_tunes.router)
api.include_router(fine_tune_history.router)
api.include_router(evaluations.router)
api.include_router(resources.router)
api.include_router(audit.router)
api.include_router(workers.router)
api.include_router(studies.router)
api.include_router(assistants.router)
api.include_router(monitors.router)
api.include_router(monitor_stream.router)
api.include_router(monitor_classifiers.router)
api.include_router(recommenders.router)

__all__ = ["api", "health"]
