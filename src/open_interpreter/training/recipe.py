"""The fine-tuning recipe behind ``OpenInterpreter.fine_tune``, ``oi train`` and the job
worker, read top to bottom:

set up (load the model, read the splits, settle the task and labels, build the head) →
check labels → encode once → score the untrained head → train (scoring validation data
each epoch) → score again and on test data → save.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from open_interpreter.bundle import ModelBundle
from open_interpreter.config import FineTuneConfig
from open_interpreter.data.chat import to_chat_examples
from open_interpreter.data.examples import ChatExamples, Examples, TokenExamples
from open_interpreter.data.inputs import to_examples
from open_interpreter.data.validation import seeded_split
from open_interpreter.errors import ConfigError, DataError, LabelError
from open_interpreter.inference import encode, score, warn_unseen_labels
from open_interpreter.peft import attach_adapter
from open_interpreter.progress import scoring_progress
from open_interpreter.runtime import seed_everything
from open_interpreter.tasks import get_task, infer_task
from open_interpreter.training import distributed
from open_interpreter.training.loop import OnEvent, Penalty, train
from open_interpreter.training.result import FineTuneResult
from open_interpreter.training.trackers import trackers
from open_interpreter.wording import plural

logger = logging.getLogger(__name__)


def fine_tune(
    bundle: ModelBundle,
    train_data: Any,
    train_labels: Any = None,
    validation_data: Any = None,
    validation_labels: Any = None,
    test_data: Any = None,
    test_labels: Any = None,
    *,
    on_event: OnEvent | None = None,
    score_before_after: bool = True,
) -> FineTuneResult:
    """Fine-tune ``bundle`` as its config says: set up, train, score, save.

    The bundle is changed in place (its model, task, labels, data info and metrics); its
    ``config.output_dir``, when set, receives the saved model. With
    ``config.distributed.processes`` > 1 the same recipe runs in that many processes
    (:func:`~open_interpreter.training.distributed.launch`) and the bundle is loaded from
    what rank 0 saved. ``score_before_after=False`` is for a study's trials (see
    :func:`run`); a distributed run scores before and after regardless.

    Raises:
        DataError: Bad or inconsistent data (the message says which and where), or
            unlabelled data for a task that learns labels.
        LabelError: Training labels outside the ``labels`` setting, or a single label.
        ConfigError: An invalid setting.
        TrainingProcessError: A process of a distributed run failed (its rank and error).
    """
    if train_data is None:
        raise TypeError("fine_tune() needs train_data")
    if distributed.wanted(bundle.config):
        distributed.check_launchable(bundle.config)
        data = (train_data, train_labels, validation_data, validation_labels)
        return distributed.launch(bundle, (*data, test_data, test_labels), on_event)
    distributed.join(bundle.config.distributed)  # started by torchrun: join its group
    if bundle.model is None:
        bundle.load_model(bundle.config.model)
    if bundle.tokenizer is None:
        bundle.load_tokenizer()
    splits = read_splits(
        bundle.config,
        train_data,
        train_labels,
        validation_data,
        validation_labels,
        test_data,
        test_labels,
    )
    settle_task(bundle, splits["train"])
    return run(bundle, splits, on_event=on_event, score_before_after=score_before_after)


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
    if config.data.limit:  # before the held-out splits: limit 300 → 240 / 30 / 30
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
    if config.data.limit:
        _log_limit(config.data.limit, splits, held)
    if config.data.eval_limit:
        _limit_scoring(config.data.eval_limit, splits)
    return splits


def _limit_scoring(limit: int, splits: dict[str, Examples]) -> None:
    """Keep the first ``limit`` examples of the validation and test splits (``data.eval_limit``)."""
    for name in ("validation", "test"):
        if name in splits and len(splits[name]) > limit:
            logger.info(
                "eval_limit %d: scoring %d of %d %s examples", limit, limit, len(splits[name]), name
            )
            splits[name] = splits[name].subset(list(range(limit)))


def _log_limit(limit: int, splits: dict[str, Examples], held: dict[str, float]) -> None:
    """Say what ``data.limit`` kept: it cuts the training data before splits are held out."""
    parts = " / ".join(f"{len(splits[name])} {name}" for name in ("train", *held))
    logger.info("limit %s → %s", plural(limit, "example"), parts)


def settle_task(bundle: ModelBundle, train: Examples) -> None:
    """Settle the task and labels from the training data and build the head if needed.

    The head's labels are, first found: the model's (a trained head), those given to
    ``add_*_head``, the ``labels`` setting, the training data's.

    Raises:
        DataError: The training data has no labels.
        LabelError: The training labels are not among the head's (or the model's, or the
            ``labels`` setting's), or a classifier would have fewer than 2 labels.
        ConfigError: ``labels`` set for a generative task, or other than the head's.
    """
    config = bundle.config
    inferred = infer_task(train, bundle.model)
    asked = bundle.task.name if bundle.task else config.task
    if asked in ("auto", None):
        bundle.task = inferred
    elif asked != inferred.name and isinstance(train, TokenExamples):
        logger.info(
            "the labels are per-token tag lists: training %s instead of %s", inferred.name, asked
        )
        bundle.task = inferred
    else:
        bundle.task = get_task(asked)
    task = bundle.task
    task.check_labelled(train, "train_data", config)
    labels = task.label_set(train)
    if task.generative and config.labels is not None:
        raise ConfigError(f"labels is for classification tasks; {task.name} answers in text")
    if bundle.labels is not None and config.labels not in (None, bundle.labels):
        whose = "the model's" if bundle.has_head else "the head's"
        raise ConfigError(f"labels={config.labels} differ from {whose} labels {bundle.labels}")
    head = bundle.labels if bundle.labels is not None else config.labels or labels
    if not task.generative:
        _check_label_set(head, labels, bundle.has_head, config)
    bundle.labels = head
    if not bundle.has_head:
        bundle.build_head()


def _check_label_set(
    head: list[str], train_labels: list[str], has_head: bool, config: FineTuneConfig
) -> None:
    """Every training label needs an output, and a classifier needs at least two."""
    whose = "the model's" if has_head else "the head's"
    unknown = [label for label in train_labels if label not in head]
    if unknown:
        setting = "; add them to the labels setting" if config.labels else ""
        raise LabelError(f"training labels {unknown} are not among {whose} labels {head}{setting}")
    if len(head) >= 2:
        return
    if has_head:
        raise LabelError(f"{whose} labels {head} are fewer than 2: a classifier needs at least 2")
    cut = (
        f" (data.limit={config.data.limit} kept the first {config.data.limit} examples: in a"
        " file sorted by label they hold one label; raise the limit or shuffle the file)"
        if config.data.limit
        else ""
    )
    raise LabelError(
        f"train_data holds one label, {head}{cut}: a classifier needs at least 2. Add examples"
        f" of the others, or list every label in the labels setting"
        f" (e.g. labels={[*head, 'other']})"
    )


def _read_chat(data: Any, labels: Any, *, source: str) -> ChatExamples:
    if labels is not None:
        raise DataError(f"{source} holds conversations, which carry their own answers")
    return to_chat_examples(data, source=source)


def run(
    bundle: ModelBundle,
    splits: dict[str, Examples],
    on_event: OnEvent | None = None,
    *,
    penalty: Penalty | None = None,
    score_before_after: bool = True,
) -> FineTuneResult:
    """Fine-tune ``bundle``'s model (its head built) on ``splits``; score it before and after.

    ``penalty``, when given, is an extra loss term on the weights (see
    :func:`~open_interpreter.training.loop.train`), e.g. continual learning's EWC.

    ``score_before_after=False`` (a study's trials, which need only each epoch's
    validation score) skips scoring the untrained head (``before`` is None) and, when
    validation data is scored each epoch, does not score it again after training:
    ``after`` is the report of the epoch whose weights the model ends with (the best
    epoch's with ``restore_best``, else the last), so ``metrics.json`` and what
    ``register`` reads from it hold the same figures. Test data is scored as usual.

    Validation or test labels the head has no output for are scored (recall 0) with a
    warning; see :func:`~open_interpreter.inference.warn_unseen_labels`.

    Raises:
        DataError: A validation or test split has no labels.
    """
    config, task = bundle.config, bundle.task
    main = distributed.is_main()  # with several processes, rank 0 alone scores and saves
    if not main:  # FSDP: every rank joins the validation passes of a sharded model
        joins = config.distributed.strategy == "fsdp" and "validation" in splits
        splits = {
            "train": splits["train"],
            **({"validation": splits["validation"]} if joins else {}),
        }
    for name in ("validation", "test"):
        if name in splits:
            task.check_labelled(splits[name], f"{name}_data", config)
            warn_unseen_labels(bundle, splits[name], name)
    if config.peft is not None:
        bundle.model = attach_adapter(bundle.model, config.peft, task.name, bundle.tokenizer)
    if config.augment.perturbations:
        splits = {**splits, "train": _augmented(bundle, splits["train"])}
    encoded = {name: encode(bundle, examples) for name, examples in splits.items()}
    watch = "validation" if "validation" in splits else "test" if "test" in splits else None
    before = (
        _scored(bundle, splits, encoded, watch, "before training")
        if watch and score_before_after and main
        else None
    )
    if before is not None:
        logger.info("before fine-tuning (%s): %s", watch, _headline(before))
    epoch_reports: list[Any] = []  # each epoch's validation report, in this process

    def evaluate_validation(model: Any) -> Any:
        report = score(bundle, splits["validation"], encoded["validation"], "validation", model)
        if not score_before_after:
            epoch_reports.append(report)
        return report

    seed_everything(config.seed)
    run_dir = Path(config.output_dir) if config.output_dir else None
    with trackers(config, on_event) as tracked:  # report_to: TensorBoard, MLflow
        training = train(
            bundle.model,
            task.training_features(encoded["train"], config),
            config=config,
            pad_id=bundle.tokenizer.pad_token_id,
            evaluate=evaluate_validation if "validation" in splits else None,
            run_dir=run_dir,
            on_event=tracked,
            penalty=penalty,
        )
    after = _final_epoch_report(config, training, epoch_reports) if watch == "validation" else None
    if after is None and watch and main:
        after = _scored(bundle, splits, encoded, watch, "after training")
    test = (
        after
        if watch == "test"
        else (
            _scored(bundle, splits, encoded, "test", "after training") if "test" in splits else None
        )
    )
    result = FineTuneResult(
        task=task.name,
        labels=list(bundle.labels),
        config=config,
        training=training,
        before=before,
        after=after,
        test=test,
        data={name: len(examples) for name, examples in splits.items()},
    )
    bundle.metrics = result.to_dict()  # the saved model's metrics.json
    bundle.data_info = {name: f"{len(ex)} examples from {ex.source}" for name, ex in splits.items()}
    if after is not None:
        logger.info("after fine-tuning (%s): %s", watch, _headline(after))
    if run_dir is not None and main:
        bundle.save(run_dir)
        logger.info("saved the fine-tuned model to %s", run_dir)
    return result


def _final_epoch_report(config: FineTuneConfig, training: Any, reports: list[Any]) -> Any:
    """The validation report of the epoch whose weights the model ends with, when this
    process scored it (None otherwise, e.g. after resuming past the last evaluation)."""
    if not reports:
        return None
    records = training.evaluations[-len(reports) :]
    if config.restore_best and training.best is not None:
        final = training.best
    elif records and records[-1]["step"] == training.steps:
        final = records[-1]
    else:
        return None
    return next((r for record, r in zip(records, reports, strict=True) if record is final), None)


def _scored(
    bundle: ModelBundle,
    splits: dict[str, Examples],
    encoded: dict[str, list[Any]],
    name: str,
    when: str,
) -> Any:
    """Score split ``name`` outside the training loop, with a bar while it runs (on a
    terminal, when ``config.progress`` is on)."""
    with scoring_progress(f"scoring {name} {when}", enabled=bundle.config.progress):
        return score(bundle, splits[name], encoded[name], name)


def _augmented(bundle: ModelBundle, train: Examples) -> Examples:
    """The training split with perturbed copies added (``config.augment``); only training."""
    from open_interpreter.analysis.augment import augment_training_data

    config = bundle.config
    return augment_training_data(
        train,
        config.augment,
        model=bundle.model,
        tokenizer=bundle.tokenizer,
        seed=config.seed,
    )


def _headline(report: Any) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in report.metrics().items())
