"""Scoring and prediction with a bundle whose model has its task head."""

from __future__ import annotations

from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import ChatExamples, Examples, TextExamples
from open_interpreter.data.validation import check_labels_known
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks.forward import forward


def encode(bundle: ModelBundle, examples: Examples, *, labelled: bool = True) -> list[Feature]:
    """Encode ``examples`` for the bundle's task and labels."""
    task = bundle.require_head()
    label2id = {label: i for i, label in enumerate(bundle.labels or [])} if labelled else None
    return task.encode(bundle.tokenizer, examples, label2id, bundle.max_length())


def score(
    bundle: ModelBundle,
    examples: Examples,
    features: list[Feature],
    split: str,
    model: Any = None,
) -> EvaluationReport:
    """Run the model (default: the bundle's) on encoded labelled examples; build their report."""
    return bundle.require_head().evaluate_encoded(
        model or bundle.model,
        bundle.tokenizer,
        examples,
        features,
        bundle.labels or [],
        config=bundle.config,
        split=split,
    )


def evaluate(bundle: ModelBundle, examples: Examples, split: str) -> EvaluationReport:
    """Score the bundle's model on labelled ``examples``.

    Raises:
        DataError: The examples carry no labels.
        LabelError: They hold labels the model does not know.
    """
    if not isinstance(examples, ChatExamples):  # conversations carry their answers
        if (examples.labels if isinstance(examples, TextExamples) else examples.tags) is None:
            raise DataError(f"cannot evaluate on {examples.source}: it has no labels")
        check_labels_known(bundle.labels or [], examples, split)
    return score(bundle, examples, encode(bundle, examples), split)


def predict(bundle: ModelBundle, texts: Any) -> Any:
    """Predict for one input or a list; see :meth:`OpenInterpreter.predict`.

    Raises:
        DataError: An input of a shape the task does not take.
    """
    task = bundle.require_head()
    single = isinstance(texts, str) or (
        isinstance(texts, tuple) and len(texts) == 2 and all(isinstance(t, str) for t in texts)
    )
    items = [texts] if single else list(texts)
    if not items:
        return []
    prepared = task.prepare_inputs(bundle.tokenizer, items)
    features = encode(bundle, prepared.examples, labelled=False)
    result = forward(
        bundle.model,
        features,
        pad_id=bundle.tokenizer.pad_token_id,
        batch_size=bundle.config.eval_batch_size,
        precision=bundle.config.precision,
    )
    predictions = task.decode(
        prepared.examples, features, result, dict(enumerate(bundle.labels or []))
    )
    predictions = task.finish_predictions(predictions, items, prepared)
    return predictions[0] if single else predictions
