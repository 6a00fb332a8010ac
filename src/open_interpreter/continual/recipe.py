"""Continued training, read top to bottom: a saved model keeps learning from new data.

read the new data (as the model's task reads it) → check it against the model's task and
labels → grow the head for new labels → mix in the rehearsal buffer (replay), set up a
penalty (EWC, L2-SP) or start a new LoRA adapter (lora-per-version) → train (the
fine-tuning recipe's ``run``) → score every task's evaluation set so far (a new row of
the matrix) → update the buffer and the Fisher → save the model with its continual state.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.config import validated
from open_interpreter.continual import adapters
from open_interpreter.continual.examples import joined
from open_interpreter.continual.labels import check_same_task, grow_head, new_labels, relabelled
from open_interpreter.continual.penalties import (
    diagonal_fisher,
    ewc_penalty,
    fitted,
    l2sp_penalty,
    snapshot,
)
from open_interpreter.continual.replay import ReplayBuffer
from open_interpreter.continual.report import ContinualReport
from open_interpreter.continual.settings import ContinualSettings
from open_interpreter.continual.state import ContinualState
from open_interpreter.data.examples import Examples
from open_interpreter.errors import ConfigError, ModelStateError
from open_interpreter.inference import encode, evaluate
from open_interpreter.peft import is_peft_model
from open_interpreter.training.loop import OnEvent, Penalty
from open_interpreter.training.recipe import read_splits, run, settle_task
from open_interpreter.training.result import FineTuneResult

logger = logging.getLogger(__name__)


@dataclass
class ContinualResult:
    """What one continued-training step did.

    Attributes:
        result: The training run (history, reports before / after on the new task).
        report: The continual report, this step's row included.
        added_labels: The labels the head grew by.
        seconds: Wall time of the whole step (reading, training, scoring every task).
        path: Where the new version was saved, if it was.
    """

    result: FineTuneResult
    report: ContinualReport
    added_labels: list[str]
    seconds: float
    path: Path | None = None


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate :class:`ContinualSettings` keywords from fine-tuning settings."""
    ours = {k: v for k, v in options.items() if k in ContinualSettings.model_fields}
    return ours, {k: v for k, v in options.items() if k not in ours}


def continue_training(
    bundle: ModelBundle,
    train_data: Any,
    train_labels: Any = None,
    validation_data: Any = None,
    validation_labels: Any = None,
    *,
    output_dir: str | Path | None = None,
    previous_data: Any = None,
    previous_labels: Any = None,
    on_event: OnEvent | None = None,
    **options: Any,
) -> ContinualResult:
    """Train ``bundle``'s model further on new data without (much) forgetting.

    Args:
        bundle: A saved model (with its head), or a pretrained one for the first step.
        train_data: The new data, in any form ``fine_tune`` takes.
        train_labels: Its labels (None when the data carries them).
        validation_data: This step's evaluation set (default: a seeded ``eval_split`` of
            the new data); it is kept with the model and scored after every later step.
        validation_labels: Its labels.
        output_dir: Where to save the new version (with its continual state).
        previous_data: The training data of the model's version, for a model trained
            without ``continue_training``: seeds its rehearsal buffer, its Fisher and its
            evaluation set (a seeded ``eval_split`` of it).
        previous_labels: Its labels.
        on_event: Called with every training step and evaluation event.
        **options: :class:`ContinualSettings` fields (``strategy="replay"``,
            ``replay_size=500``, ``ewc_lambda``...) and any ``FineTuneConfig`` field.

    Returns:
        The step's training result and the continual report.

    Raises:
        DataError: The new data is in another shape than the model's task.
        LabelError: A new label is an old one renamed, or breaks the tagging scheme.
        ConfigError: A bad setting, or a strategy that needs earlier data the model lacks.
        ModelStateError: The model is an adapter and the strategy is not
            ``lora-per-version``, or the strategy is ``lora-per-version`` and the model is a
            whole fine-tuned model (or an adapter of another method than LoRA).
    """
    started = time.perf_counter()
    ours, training = split_options(options)
    settings = validated(ContinualSettings, ours)
    _check_model(bundle, settings.strategy)
    lora = settings.strategy == adapters.STRATEGY
    bundle.config = bundle.config.updated(
        **training,
        output_dir=None,
        test_split=0.0,
        validation_split=0.0 if validation_data is not None else settings.eval_split,
    )
    if bundle.tokenizer is None:
        bundle.load_tokenizer()
    splits = read_splits(
        bundle.config, train_data, train_labels, validation_data, validation_labels, None, None
    )
    splits = {name: relabelled(ex, settings.label_map) for name, ex in splits.items()}
    resize = ours.get("replay_size")  # a saved buffer keeps its size unless asked otherwise
    state, old = _state_before(bundle, splits, settings, resize, previous_data, previous_labels)
    if not old and not lora:
        settings.strategy = "naive"  # a first step has nothing to protect yet
    if lora and not old:
        adapters.first_adapter_settings(bundle)  # a first step from a pretrained model
    elif lora:
        adapters.start_version(bundle, state)
    penalty = _penalty(bundle, state, settings)
    added = _settle_labels(bundle, splits, old)
    train = splits["train"]
    if settings.strategy == "replay":
        if state.buffer is None or len(state.buffer) == 0:
            raise ConfigError(_missing("a rehearsal buffer", "replay"))
        train = joined(train, state.buffer.examples(train))
        logger.info(
            "replay: %d new + %d rehearsed examples", len(splits["train"]), len(state.buffer)
        )
    result = run(bundle, {**splits, "train": train}, on_event, penalty=penalty)
    _record(bundle, state, splits, settings, added, len(train))
    if lora:
        adapters.record_newest(bundle, state)
    state.steps[-1]["seconds"] = round(time.perf_counter() - started, 2)
    state.steps[-1]["train_seconds"] = round(result.training.train_seconds, 2)
    path = None
    if output_dir is not None:
        path = bundle.save(output_dir)
        state.save(path)
        bundle.path = path
    report = report_of(state, name=Path(output_dir).name if output_dir else "model")
    return ContinualResult(result, report, added, time.perf_counter() - started, path)


def report_of(state: ContinualState, *, name: str) -> ContinualReport:
    """The continual report of a model's state."""
    return ContinualReport(
        model=name,
        metric=state.metric,
        tasks=[task["name"] for task in state.tasks],
        matrix=state.matrix,
        steps=state.steps,
    )


def scores_on(bundle: ModelBundle, eval_sets: list[Examples], metric: str) -> list[float]:
    """The bundle's ``metric`` on every evaluation set, in order."""
    return [
        float(evaluate(bundle, examples, f"task {j}").metrics()[metric])
        for j, examples in enumerate(eval_sets)
    ]


def _check_model(bundle: ModelBundle, strategy: str) -> None:
    if bundle.model is None:  # the bundle's own name: config.model is only a default here
        bundle.load_model(bundle.model_name)
    adapters.check_model(bundle, strategy)
    if bundle.has_head and bundle.task is not None and bundle.task.generative:
        raise ModelStateError(f"continued training covers classifiers, not {bundle.task.name}")


def _state_before(
    bundle: ModelBundle,
    splits: dict[str, Examples],
    settings: ContinualSettings,
    resize: int | None,
    previous_data: Any,
    previous_labels: Any,
) -> tuple[ContinualState, list[str]]:
    """The model's continual state (a new one for a model that has none) and its labels."""
    if not bundle.has_head:  # the first step: a pretrained model gets its head
        settle_task(bundle, splits["train"])
        state = ContinualState(metric=bundle.task.headline_metric)
        return state, []
    for name, examples in splits.items():
        check_same_task(bundle.task, examples, f"the new {name} data")
    state = ContinualState.load(bundle.path, replay_size=resize) if bundle.path else None
    if state is None:
        state = ContinualState(metric=bundle.task.headline_metric)
    if previous_data is not None:
        _adopt(bundle, state, settings, previous_data, previous_labels)
    return state, list(bundle.labels or [])


def _adopt(
    bundle: ModelBundle,
    state: ContinualState,
    settings: ContinualSettings,
    data: Any,
    labels: Any,
) -> None:
    """Start the record of a model trained without ``continue_training`` from its data."""
    if state.tasks:
        raise ConfigError("previous_data is for a model without a continual record; this has one")
    config = bundle.config.updated(validation_split=settings.eval_split, test_split=0.0)
    old = read_splits(config, data, labels, None, None, None, None)
    old = {name: relabelled(ex, settings.label_map) for name, ex in old.items()}
    for name, examples in old.items():
        check_same_task(bundle.task, examples, f"previous_data ({name})")
    state.tasks.append(
        {"name": "task-0", "labels": list(bundle.labels or []), "train": len(old["train"])}
    )
    state.steps.append({"strategy": "before continual", "seconds": None})
    state.eval_sets.append(old["validation"])
    state.matrix.append(scores_on(bundle, [old["validation"]], state.metric))
    state.buffer = ReplayBuffer(settings.replay_size, seed=bundle.config.seed)
    state.buffer.add(old["train"])


def _penalty(
    bundle: ModelBundle, state: ContinualState, settings: ContinualSettings
) -> Penalty | None:
    """The strategy's penalty, anchored at the weights as they are before this step."""
    if settings.strategy == "l2sp":
        if not state.tasks and not bundle.path:
            raise ConfigError(_missing("previous weights", "l2sp"))
        anchor = snapshot(bundle.model)
        return _fitting(lambda m: l2sp_penalty(fitted(anchor, m), settings.l2sp_alpha))
    if settings.strategy != "ewc":
        return None
    if state.fisher is None:
        if state.buffer is None or len(state.buffer) == 0:
            raise ConfigError(_missing("a Fisher estimate or earlier training data", "ewc"))
        state.fisher = _fisher(bundle, state.buffer.examples(state.eval_sets[0]), settings)
    anchor, fisher = snapshot(bundle.model), state.fisher
    return _fitting(
        lambda m: ewc_penalty(fitted(fisher, m), fitted(anchor, m), settings.ewc_lambda)
    )


def _fitting(build: Any) -> Penalty:
    """A penalty built on first use, once the head has grown to its final size."""
    built: list[Penalty] = []

    def penalty(model: Any) -> Any:
        if not built:
            built.append(build(model))
        return built[0](model)

    return penalty


def _settle_labels(bundle: ModelBundle, splits: dict[str, Examples], old: list[str]) -> list[str]:
    """Grow the head for the new data's new labels; return them."""
    task = bundle.task
    if not old:
        return list(bundle.labels or [])
    found: list[str] = []
    for examples in splits.values():
        found += [label for label in task.label_set(examples) if label not in found]
    added = new_labels(old, found, tags=task.labels_words)
    grow_head(adapters.inner_model(bundle.model), old, old + added)
    if added and is_peft_model(bundle.model):  # the grown head is the active adapter's
        adapters.train_only(bundle.model, bundle.model.active_adapter)
    bundle.labels = old + added
    return added


def _record(
    bundle: ModelBundle,
    state: ContinualState,
    splits: dict[str, Examples],
    settings: ContinualSettings,
    added: list[str],
    trained_on: int,
) -> None:
    """Add this step to the state: its task, its evaluation set, its row of scores, the
    new data in the buffer, and (for EWC) the Fisher of the new version."""
    index = len(state.tasks)
    state.tasks.append(
        {
            "name": settings.task_name or f"task-{index}",
            "labels": added,
            "train": len(splits["train"]),
        }
    )
    state.steps.append({"strategy": settings.strategy, "trained_on": trained_on})
    state.eval_sets.append(splits["validation"])
    state.matrix.append(scores_on(bundle, state.eval_sets, state.metric))
    if state.buffer is None:
        state.buffer = ReplayBuffer(settings.replay_size, seed=bundle.config.seed)
    state.buffer.add(splits["train"])
    if settings.strategy != "ewc":
        state.fisher = None  # it described an earlier version; estimated again when needed
        return
    new = _fisher(bundle, splits["train"], settings)
    old = fitted(state.fisher, bundle.model) if state.fisher is not None else {}
    state.fisher = {name: f + old.get(name, 0) for name, f in new.items()}


def _fisher(bundle: ModelBundle, examples: Examples, settings: ContinualSettings) -> Any:
    if len(examples) > settings.fisher_samples:
        rng = random.Random(bundle.config.seed)
        examples = examples.subset(
            sorted(rng.sample(range(len(examples)), settings.fisher_samples))
        )
    features = encode(bundle, examples)
    return diagonal_fisher(
        bundle.model,
        features,
        pad_id=bundle.tokenizer.pad_token_id,
        batch_size=settings.fisher_batch_size,
    )


def _missing(what: str, strategy: str) -> str:
    return (
        f"strategy {strategy!r} needs {what} of the model's earlier versions, and this model "
        "has none: it was not trained with continue_training. Pass its training data as "
        "previous_data (--previous-data FILE), or use strategy 'naive' or 'l2sp'"
    )
