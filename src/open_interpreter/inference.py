"""Scoring and prediction with a model that has its task head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from open_interpreter.data.encoding import Feature
from open_interpreter.data.examples import ChatExamples, Examples, TextExamples, TokenExamples
from open_interpreter.data.validation import check_labels_known
from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.tasks import TokenClassificationTask
from open_interpreter.tasks.forward import forward
from open_interpreter.tasks.token_classification import with_char_offsets

if TYPE_CHECKING:
    from open_interpreter.interpreter import OpenInterpreter


def max_length(interpreter: OpenInterpreter) -> int:
    """The configured ``max_length``, cut to what the model can take (its positions)."""
    from open_interpreter.models.loading import context_length

    limit = context_length(interpreter.model, interpreter.tokenizer)
    configured = interpreter.config.max_length
    return configured if limit is None else min(configured, limit)


def encode(
    interpreter: OpenInterpreter, examples: Examples, *, labelled: bool = True
) -> list[Feature]:
    """Encode ``examples`` for the interpreter's task and labels."""
    label2id = {label: i for i, label in enumerate(interpreter.labels)} if labelled else None
    return interpreter.task.encode(
        interpreter.tokenizer, examples, label2id, max_length(interpreter)
    )


def score(
    interpreter: OpenInterpreter,
    examples: Examples,
    features: list[Feature],
    split: str,
    model: Any = None,
) -> EvaluationReport:
    """Run the model on already-encoded labelled examples and build their report."""
    return interpreter.task.evaluate_encoded(
        model or interpreter.model,
        interpreter.tokenizer,
        examples,
        features,
        interpreter.labels,
        config=interpreter.config,
        split=split,
    )


def evaluate(interpreter: OpenInterpreter, examples: Examples, split: str) -> EvaluationReport:
    """Score the model on labelled ``examples``.

    Raises:
        DataError: The examples carry no labels.
        LabelError: They hold labels the model does not know.
    """
    if not isinstance(examples, ChatExamples):  # conversations carry their answers
        if (examples.labels if isinstance(examples, TextExamples) else examples.tags) is None:
            raise DataError(f"cannot evaluate on {examples.source}: it has no labels")
        check_labels_known(interpreter.labels, examples, split)
    return score(interpreter, examples, encode(interpreter, examples), split)


def predict(interpreter: OpenInterpreter, texts: Any) -> Any:
    """Predict for one input or a list; see :meth:`OpenInterpreter.predict`."""
    single = isinstance(texts, str) or (
        isinstance(texts, tuple) and len(texts) == 2 and all(isinstance(t, str) for t in texts)
    )
    items = [texts] if single else list(texts)
    if not items:
        return []
    task = interpreter.task
    spans = None
    if isinstance(task, TokenClassificationTask):
        if all(isinstance(item, str) for item in items):
            examples, spans = task.predict_texts(interpreter.tokenizer, items)
        else:
            examples = TokenExamples(tokens=[list(item) for item in items], source="inputs")
    elif all(isinstance(item, tuple) for item in items):
        examples = TextExamples(
            texts=[a for a, _ in items], text_pairs=[b for _, b in items], source="inputs"
        )
    else:
        examples = TextExamples(texts=[str(item) for item in items], source="inputs")
    features = encode(interpreter, examples, labelled=False)
    result = forward(
        interpreter.model,
        features,
        pad_id=interpreter.tokenizer.pad_token_id,
        batch_size=interpreter.config.eval_batch_size,
        precision=interpreter.config.precision,
    )
    predictions = task.decode(examples, features, result, dict(enumerate(interpreter.labels)))
    if spans is not None:
        predictions = [
            with_char_offsets(p, text, s)
            for p, text, s in zip(predictions, items, spans, strict=True)
        ]
    return predictions[0] if single else predictions
