"""Scoring and prediction with a bundle whose model has its task head."""

from __future__ import annotations

import logging
from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.data.encoding import IGNORE_INDEX, Feature
from open_interpreter.data.examples import ChatExamples, Examples, TextExamples
from open_interpreter.data.validation import listed, unseen_labels
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.progress import scoring_progress
from open_interpreter.tasks.forward import forward

logger = logging.getLogger(__name__)


def encode(bundle: ModelBundle, examples: Examples, *, labelled: bool = True) -> list[Feature]:
    """Encode ``examples`` for the bundle's task and labels.

    Labels the head has no output for are left out of the loss (``-100``); they are still
    scored, from the examples, as labels the model never predicts.
    """
    task = bundle.require_head()
    label2id = None
    if labelled:
        label2id = dict.fromkeys(unseen_labels(bundle.labels or [], examples), IGNORE_INDEX)
        label2id.update({label: i for i, label in enumerate(bundle.labels or [])})
    return task.encode(bundle.tokenizer, examples, label2id, bundle.max_length())


def warn_unseen_labels(bundle: ModelBundle, examples: Examples, split: str) -> list[str]:
    """Log a warning naming the labels of ``examples`` that the head has no output for.

    Such labels are scored as the seqeval and Hugging Face examples score them: the model
    never predicts them, so their recall is 0 and their examples count as errors (and in
    support); the loss leaves them out.

    Returns:
        Those labels (empty when there are none).
    """
    unseen = unseen_labels(bundle.labels or [], examples)
    if unseen:
        logger.warning(
            "%s labels never seen in training: %s. The model has no output for them, so "
            "they score 0 (recall 0, counted in support). To give them one, fine-tune with "
            "every label, these included, listed in the labels setting",
            split,
            listed(unseen),
        )
    return unseen


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


def evaluate(
    bundle: ModelBundle, examples: Examples, split: str, *, progress: bool = False
) -> EvaluationReport:
    """Score the bundle's model on labelled ``examples``.

    With ``progress``, a bar shows the batches scored (on a terminal only; see
    :mod:`open_interpreter.progress`).

    Labels the model has no output for are scored (recall 0) with a logged warning (see
    :func:`warn_unseen_labels`).

    Raises:
        DataError: The examples carry no labels.
    """
    if not isinstance(examples, ChatExamples):  # conversations carry their answers
        if (examples.labels if isinstance(examples, TextExamples) else examples.tags) is None:
            raise DataError(f"cannot evaluate on {examples.source}: it has no labels")
        warn_unseen_labels(bundle, examples, split)
    features = encode(bundle, examples)
    with scoring_progress(f"scoring {split}", enabled=progress):
        return score(bundle, examples, features, split)


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
