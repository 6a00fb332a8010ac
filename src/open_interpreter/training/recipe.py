"""The fine-tuning recipe behind ``OpenInterpreter.fine_tune`` and ``oi train``.

read the splits → check labels → encode once → score the untrained head → train
(scoring validation data each epoch) → score again and on test data → save.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.examples import Examples
from open_interpreter.data.inputs import to_examples
from open_interpreter.data.validation import check_labels_known, seeded_split
from open_interpreter.inference import encode, score
from open_interpreter.training.loop import train
from open_interpreter.training.result import FineTuneResult
from open_interpreter.training.runtime import seed_everything

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
    splits = {"train": to_examples(train_data, train_labels, source="train_data", **columns)}
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
        splits["validation"] = to_examples(
            validation_data, validation_labels, source="validation_data", **columns
        )
    if test_data is not None:
        splits["test"] = to_examples(test_data, test_labels, source="test_data", **columns)
    return splits


def run(interpreter: OpenInterpreter, splits: dict[str, Examples]) -> FineTuneResult:
    """Fine-tune ``interpreter``'s model on ``splits`` and score it before and after."""
    config, task = interpreter.config, interpreter.task
    for name in ("validation", "test"):
        if name in splits:
            check_labels_known(interpreter.labels, splits[name], name)
    encoded = {name: encode(interpreter, examples) for name, examples in splits.items()}
    watch = "validation" if "validation" in splits else "test" if "test" in splits else None
    before = score(interpreter, splits[watch], encoded[watch], watch) if watch else None
    if before is not None:
        logger.info("before fine-tuning (%s): %s", watch, _headline(before))

    def evaluate_validation(model: Any) -> Any:
        return score(interpreter, splits["validation"], encoded["validation"], "validation", model)

    seed_everything(config.seed)
    run_dir = Path(config.output_dir) if config.output_dir else None
    training = train(
        interpreter.model,
        encoded["train"],
        config=config,
        pad_id=interpreter.tokenizer.pad_token_id,
        evaluate=evaluate_validation if "validation" in splits else None,
        run_dir=run_dir,
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
        interpreter.save(run_dir)
        logger.info("saved the fine-tuned model to %s", run_dir)
    return result


def _headline(report: Any) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in report.metrics().items())
