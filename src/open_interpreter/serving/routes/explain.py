"""``POST /v1/models/{name}/explain``: which words made the model decide what it decided.

Explanations run on the model's own thread (its :class:`~open_interpreter.serving.batcher.Batcher`),
one text at a time, so they never overlap a forward pass of the same model object and
predictions for it can go in between two texts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from open_interpreter.errors import LabelError
from open_interpreter.serving.deps import PredictKey, StateDep
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import ExplainRequest, ExplainResponse, ExplainResult
from open_interpreter.tasks import TASKS

router = APIRouter(prefix="/models", tags=["explain"])

EXPLAINED_TASKS = [name for name, task in TASKS.items() if "explain" in task.analyses]


@router.post("/{name}/explain")
async def explain(
    name: str, body: ExplainRequest, state: StateDep, _key: PredictKey
) -> ExplainResponse:
    """Predict for each text and say which words made the model decide so.

    Per text: the prediction (as ``/predict`` gives it) and one explanation per decision:
    the predicted label (or ``target``) of a text classifier, each predicted entity (or
    those of type ``target``, or the one at index ``target``) of a tagger. Each explanation
    holds the words with character offsets and one score per word.
    """
    number, path = await state.versions.resolve(name, body.version, body.stage)
    loaded = state.cache.loaded(path) or await run_in_threadpool(state.cache.get, path)
    task = loaded.interpreter.task
    if "explain" not in task.analyses:
        raise Problem(
            422,
            "unsupported_task",
            f"model {name!r} is a {task.name} model; explanations cover {EXPLAINED_TASKS}",
        )
    target: Any = body.target
    if not task.labels_words and target is not None:
        target = str(target)
    results = []
    for text in body.inputs():
        try:
            result = await loaded.batcher.run(
                lambda it, text=text: _explain_text(it, text, body.method, target, body.steps)
            )
        except LabelError as exc:
            code = "unknown_entity" if isinstance(target, int) else "unknown_label"
            raise Problem(
                422, code, str(exc), errors=[{"field": "target", "message": str(exc)}]
            ) from None
        results.append(result)
    return ExplainResponse(
        model=name, version=number, task=task.name, method=body.method, results=results
    )


def _explain_text(
    interpreter: Any, text: str, method: str, target: str | int | None, steps: int
) -> ExplainResult:
    """Predict and explain one text (on the model's thread)."""
    import torch

    from open_interpreter.analysis import explain_entity

    with _left_as_served(interpreter.model), torch.enable_grad():
        prediction = interpreter.predict(text)
        if isinstance(target, int):
            explained = explain_entity(interpreter.bundle, text, target, method, steps=steps)
        else:
            explained = interpreter.explain(text, method, target, steps=steps)
    explanations = explained if isinstance(explained, list) else [explained]
    return ExplainResult.model_validate(
        {
            "text": text,
            "prediction": prediction.to_dict(),
            "explanations": [e.to_dict() for e in explanations],
        }
    )


@contextlib.contextmanager
def _left_as_served(model: Any) -> Iterator[None]:
    """Give the model back in the mode it was served in, with no gradients left on it.

    Integrated gradients differentiates through the model: whatever an explanation
    switches or accumulates must not reach the predictions that follow it.
    """
    training = model.training
    without_grad = [p for p in model.parameters() if p.grad is None]
    try:
        yield
    finally:
        model.train(training)
        for parameter in without_grad:
            parameter.grad = None
