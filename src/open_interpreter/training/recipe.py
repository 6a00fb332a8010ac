"""The fine-tuning recipe behind ``OpenInterpreter.fine_tune`` and ``oi train``.

read the splits → check labels → encode once → score the untrained head → train
(scoring validation data each epoch) → score again and on test data → save.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.chat import to_chat_examples
from open_interpreter.data.examples import ChatExamples, Examples
from open_interpreter.data.inputs import to_examples
from open_interpreter.data.validation import check_labels_known, seeded_split
from open_interpreter.errors import DataError
from open_interpreter.inference import encode, score
from open_interpreter.peft import attach_adapter
from open_interpreter.runtime import seed_everything
from open_interpreter.training.loop import OnEvent, train
from open_interpreter.training.result import FineTuneResult
from open_interpreter.training.trackers import trackers

if TYPE_CHECKING:
    from open_interpreter.interpreter import OpenInterpreter

logger = logging.getLogger(__name__)


def read_splits(
    config: FineTuneConfig,
    train_data: Any,
    train_labels: Any,
    validation_data: Any,
    validation_labels: Any,
    test_data: Any,
    test_labels: Any,
) -> dict[str, Examples]:
    """Turn every given split into examples; hold out validation data if asked to.

    Raises:
        DataError: A split is malformed, empty or its labels do not match its data.
    """
    columns = {
        "text_column": config.data.text_column,
        "label_column": config.data.label_column,
        "text_pair_column": config.data.text_pair_column,
    }
    read = partial(to_examples, **columns)
    if config.task in ("causal-lm", "seq2seq"):  # (prompt, response) tuples are chats here
        read = _read_chat
    splits = {"train": read(train_data, train_labels, source="train_data")}
    if config.data.limit:
        splits["train"] = splits["train"].subset(
            list(range(min(config.data.limit, len(splits["train"]))))
        )
    held = {
        "validation": config.data.validation_split if validation_data is None else 0.0,
        "test": config.data.test_split if test_data is None else 0.0,
    }
    held = {name: share for name, share in held.items() if share}
    if held:
        parts = seeded_split(splits["train"], [1 - sum(held.values()), *held.values()], config.seed)
        splits["train"] = parts[0]
        splits.update(zip(held, parts[1:], strict=True))
    if validation_data is not None:
        splits["validation"] = read(validation_data, validation_labels, source="validation_data")
    if test_data is not None:
        splits["test"] = read(test_data, test_labels, source="test_data")
    return splits


def _read_chat(data: Any, labels: Any, *, source: str) -> ChatExamples:
    if labels is not None:
        raise DataError(f"{source} holds conversations, which carry their own answers")
    return to_chat_examples(data, source=source)


def run(
    interpreter: OpenInterpreter, splits: dict[str, Examples], on_event: OnEvent | None = None
) -> FineTuneResult:
    """Fine-tune ``interpreter``'s model on ``splits`` and score it before and after."""
    config, task = interpreter.config, interpreter.task
    for name in ("validation", "test"):
        if name in splits and interpreter.labels:  # generative tasks have no label set
            check_labels_known(interpreter.labels, splits[name], name)
    if config.peft is not None:
        interpreter.model = attach_adapter(
            interpreter.model, config.peft, task.name, interpreter.tokenizer
        )
    if config.augment.perturbations:
        splits = {**splits, "train": _augmented(interpreter, splits["train"])}
    encoded = {name: encode(interpreter, examples) for name, examples in splits.items()}
    watch = "validation" if "validation" in splits else "test" if "test" in splits else None
    before = score(interpreter, splits[watch], encoded[watch], watch) if watch else None
    if before is not None:
        logger.info("before fine-tuning (%s): %s", watch, _headline(before))

    def evaluate_validation(model: Any) -> Any:
        return score(interpreter, splits["validation"], encoded["validation"], "validation", model)

    seed_everything(config.seed)
    run_dir = Path(config.output_dir) if config.output_dir else None
    with trackers(config, on_event) as tracked:  # report_to: TensorBoard, MLflow
        training = train(
            interpreter.model,
            task.training_features(encoded["train"], config),
            config=config,
            pad_id=interpreter.tokenizer.pad_token_id,
            evaluate=evaluate_validation if "validation" in splits else None,
            run_dir=run_dir,
            on_event=tracked,
        )
    after = score(interpreter, splits[watch], encoded[watch], watch) if watch else None
    test = (
        after
        if watch == "test"
        else (
            score(interpreter, splits["test"], encoded["test"], "test")
            if "test" in splits
            else None
        )
    )
    result = FineTuneResult(
        task=task.name,
        labels=list(interpreter.labels),
        config=config,
        training=training,
        before=before,
        after=after,
        test=test,
        data={name: len(examples) for name, examples in splits.items()},
    )
    interpreter._data_info = {
        name: f"{len(ex)} examples from {ex.source}" for name, ex in splits.items()
    }
    if after is not None:
        logger.info("after fine-tuning (%s): %s", watch, _headline(after))
    if run_dir is not None:
        interpreter.result = result  # the saved model's metrics.json comes from it
        interpreter.save(run_dir)
        logger.info("saved the fine-tuned model to %s", run_dir)
    return result


def _augmented(interpreter: OpenInterpreter, train: Examples) -> Examples:
    """The training split with perturbed copies added (``config.augment``); only training."""
    from open_interpreter.analysis.augment import augment_training_data

    config = interpreter.config
    return augment_training_data(
        train,
        config.augment,
        model=interpreter.model,
        tokenizer=interpreter.tokenizer,
        seed=config.seed,
    )


def _headline(report: Any) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in report.metrics().items())
