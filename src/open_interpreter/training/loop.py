"""The fine-tuning loop: one readable recipe from batches to a trained model.

setup (device, precision, optimizer, schedule, resume) → train (length-grouped batches,
bf16 autocast where the hardware has it, gradient accumulation and clipping,
checkpoints, which keep the best weights and the early-stopping state too) → evaluate each
epoch (early stopping, best weights kept) → restore best.
Every labelled token weighs the same in the gradient whatever the length of its batch,
so accumulating micro-batches equals training on one big batch. It knows nothing of
tasks: evaluation comes in as a function.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.batching import (
    IGNORE_INDEX,
    TRAINING_WIDTH_MULTIPLE,
    collate,
    labelled_tokens,
    token_weight,
    training_batches,
)
from open_interpreter.data.encoding import Feature
from open_interpreter.errors import ConfigError
from open_interpreter.evaluation import EvaluationReport
from open_interpreter.peft import ParameterCount, count_parameters
from open_interpreter.runtime import (
    autocast,
    cpu_attention,
    pick_device,
    torch_threads,
    use_bf16,
)
from open_interpreter.training import distributed, fsdp
from open_interpreter.training.checkpoint import (
    load_best_state,
    load_checkpoint,
    save_checkpoint,
)
from open_interpreter.training.optim import (
    apply_freezing,
    build_optimizer,
    build_schedule,
    set_dropout,
)
from open_interpreter.training.progress import TrainingProgress
from open_interpreter.wording import plural

logger = logging.getLogger(__name__)

Evaluate = Callable[[torch.nn.Module], EvaluationReport]
OnEvent = Callable[[dict[str, Any]], bool | None]
Penalty = Callable[[torch.nn.Module], torch.Tensor]
"""An extra loss term on the weights alone (e.g. EWC or L2-SP in continual learning),
added once per optimizer step to the task's loss."""


@dataclass
class TrainingResult:
    """What happened during training.

    Attributes:
        steps: Optimizer steps taken.
        history: One entry per step: step, epoch, loss, learning_rate.
        evaluations: One entry per validation pass: epoch, step and its metrics.
        best: The evaluation whose weights were kept, when validation data was given.
        stopped_early: Whether early stopping ended the run.
        train_seconds: Time spent in training steps (evaluation excluded).
        samples_per_second: Training examples processed per second.
        bf16: Whether bf16 autocast was used.
        parameters: Trainable and total parameters of the model trained.
    """

    steps: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    stopped_early: bool = False
    train_seconds: float = 0.0
    samples_per_second: float = 0.0
    bf16: bool = False
    parameters: ParameterCount | None = None


@dataclass
class _Watch:
    """Tracks the validation metric for early stopping and for keeping the best weights."""

    metric: str | None
    patience: int
    best_value: float | None = None
    best_state: dict[str, torch.Tensor] | None = None
    bad_rounds: int = 0

    def improved(self, metrics: dict[str, float]) -> bool:
        if self.metric is None:
            defaults = ("entity_f1", "accuracy", "loss")  # loss: generative tasks
            self.metric = next((m for m in defaults if m in metrics), "accuracy")
        if self.metric not in metrics:
            raise ConfigError(
                f"early_stopping_metric={self.metric!r} is not measured; "
                f"choose one of {sorted(metrics)}"
            )
        value = metrics[self.metric]
        lower_is_better = self.metric in ("loss", "perplexity")
        better = self.best_value is None or (
            value < self.best_value if lower_is_better else value > self.best_value
        )
        if better:
            self.best_value, self.bad_rounds = value, 0
        else:
            self.bad_rounds += 1
        return better


def train(
    model: torch.nn.Module,
    features: list[Feature],
    *,
    config: FineTuneConfig,
    pad_id: int,
    evaluate: Evaluate | None = None,
    run_dir: Path | None = None,
    on_event: OnEvent | None = None,
    penalty: Penalty | None = None,
) -> TrainingResult:
    """Fine-tune ``model`` on ``features`` as ``config`` says.

    Args:
        model: A Hugging Face model with its task head, returning a loss when given labels.
        features: Encoded, labelled training examples.
        config: The run's settings.
        pad_id: The tokenizer's padding id.
        evaluate: Scores the model on validation data; called after each epoch.
        run_dir: Where checkpoints go (needed for ``checkpoint_every``).
        on_event: Called with each step / evaluation event; returning True stops the run.
        penalty: An extra loss term on the weights, added to every optimizer step's loss
            (the step events still report the task's loss alone).

    Returns:
        The run's history, evaluations and throughput.

    In a process group (:mod:`~open_interpreter.training.distributed`) every rank takes its
    share of each global batch of ``batch_size`` and DDP averages the gradients; rank 0
    alone evaluates, reports events, checkpoints and restores the best weights, and a
    stop on rank 0 stops every rank. With ``distributed.strategy: fsdp`` the weights are
    sharded (:class:`~open_interpreter.training.fsdp.ShardedModel`): every rank joins the
    validation passes and the gathering of weights for checkpoints, and at the end rank
    0's ``model`` holds the full trained weights on the CPU (the other ranks' hold none).

    Raises:
        ConfigError: Settings that cannot work together (e.g. checkpoints without a run_dir).
    """
    if config.checkpoint_every and run_dir is None and distributed.is_main():
        raise ConfigError("checkpoint_every needs an output_dir to write checkpoints into")
    main = distributed.is_main()
    on_event = on_event if main else None
    device = pick_device()
    if device.type == "cuda" and distributed.active():
        device = torch.device("cuda", torch.cuda.current_device())
    result = TrainingResult(bf16=use_bf16(config.precision, device))
    sharding = fsdp.sharded(config)
    if sharding:
        fsdp.check(config, penalty=penalty is not None)
        model.train()  # fully_shard moves each rank's shard to the device
    else:
        model.to(device).train()
    apply_freezing(model, config)
    set_dropout(model, config.dropout)
    result.parameters = count_parameters(model)
    shards = fsdp.ShardedModel(model, device) if sharding else None
    trained = shards.module if shards else model  # the module whose weights change
    batches_per_epoch = math.ceil(len(features) / config.batch_size)
    steps_per_epoch = math.ceil(batches_per_epoch / config.gradient_accumulation_steps)
    total_steps = config.max_steps or math.ceil(config.epochs * steps_per_epoch)
    mean_tokens = labelled_tokens(features) / batches_per_epoch
    optimizer = build_optimizer(trained, config)
    schedule = build_schedule(optimizer, config, total_steps)
    watch = _Watch(config.early_stopping_metric, config.early_stopping_patience)
    position = {"step": 0, "epoch": 0, "batch": 0}
    if config.resume_from and shards is not None:
        position = _resume_sharded(
            Path(config.resume_from), shards, optimizer, schedule, watch, result
        )
    elif config.resume_from:
        position = _resume(Path(config.resume_from), model, optimizer, schedule, watch, result)
    runner = trained if shards else distributed.wrap(model, config.distributed)  # alone: model
    if distributed.active():
        torch.manual_seed(config.seed + distributed.rank())  # dropout differs per rank
    logger.info(
        "training on %s, %s, %s, %s (%d per epoch), %s",
        device,
        "bf16 autocast" if result.bf16 else "fp32",
        plural(len(features), "example"),
        plural(total_steps, "step"),
        steps_per_epoch,
        result.parameters,
    )
    step, samples, stop = position["step"], 0, False
    with (
        torch_threads(config.num_threads),
        cpu_attention(trained, device, max((len(f) for f in features), default=0)),
        TrainingProgress(
            total_steps, enabled=config.progress and main, start_step=step
        ) as progress,
    ):
        epoch = position["epoch"]
        while step < total_steps and not stop:
            batches = training_batches(
                features,
                config.batch_size,
                seed=config.seed,
                epoch=epoch,
                group_by_length=config.group_by_length,
            )
            started = time.perf_counter()
            for index in range(
                position["batch"] if epoch == position["epoch"] else 0, len(batches)
            ):
                mine = distributed.shard(batches[index])
                batch = [features[i] for i in mine or batches[index][:1]]  # none: weight 0
                padded = collate(batch, pad_id, TRAINING_WIDTH_MULTIPLE)
                inputs = {k: v.to(device) for k, v in padded.items()}
                with autocast(device, result.bf16):
                    loss = runner(**inputs).loss
                weight = token_weight(padded.get("labels"), mean_tokens)
                weight /= config.gradient_accumulation_steps
                if distributed.active():
                    share = len(mine) / len(batches[index])
                    weight *= distributed.loss_scale(padded.get("labels"), mean_tokens, share)
                objective = loss * weight
                if penalty is not None:
                    objective = objective + penalty(model) / config.gradient_accumulation_steps
                objective.backward()
                samples += len(batches[index])  # the global batch: every rank's share
                last = index + 1 == len(batches)
                if (index + 1) % config.gradient_accumulation_steps and not last:
                    continue
                if config.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(trained.parameters(), config.max_grad_norm)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                elapsed = result.train_seconds + time.perf_counter() - started
                rate = samples / elapsed if elapsed else 0.0
                event = {
                    "type": "step",
                    "step": step,
                    "epoch": epoch + (index + 1) / len(batches),
                    "loss": _batch_loss(loss, padded.get("labels"), mean_tokens, len(mine)),
                    "learning_rate": schedule.get_last_lr()[0],
                    "samples_per_second": rate,
                    "total_steps": total_steps,
                }
                result.history.append(event)
                progress.update(step, event["loss"], rate)
                if on_event and on_event(event):
                    stop = True
                stop = distributed.agree(stop)
                checkpoint = config.checkpoint_every and step % config.checkpoint_every == 0
                if checkpoint and (main or shards is not None):
                    state = {
                        "step": step,
                        "epoch": epoch,
                        "batch": index + 1,
                        "history": result.history,
                        "evaluations": result.evaluations,
                        "best": result.best,
                        "best_value": watch.best_value,
                        "bad_rounds": watch.bad_rounds,
                    }
                    directory = run_dir / "checkpoints" / f"step-{step}" if main else None
                    if shards is not None:  # every rank gathers, rank 0 writes
                        shards.save_checkpoint(
                            directory,
                            optimizer=optimizer,
                            schedule=schedule,
                            state=state,
                            best_state=watch.best_state,
                        )
                    else:
                        save_checkpoint(
                            directory,
                            model=model,
                            optimizer=optimizer,
                            schedule=schedule,
                            state=state,
                            best_state=watch.best_state,
                        )
                if step >= total_steps or stop:
                    break
            result.train_seconds += time.perf_counter() - started
            epoch += 1
            scores = main or shards is not None  # a sharded forward needs every rank
            if scores and evaluate is not None and config.eval_every_epoch and not stop:
                stop = _evaluate(trained, evaluate, watch, config, result, step, epoch, on_event)
            stop = distributed.agree(stop)  # the other ranks wait here for rank 0's evaluation
    if config.restore_best and watch.best_state is not None:
        trained.load_state_dict(watch.best_state)
        logger.info("restored the best weights (%s=%.4f)", watch.metric, watch.best_value)
    if shards is not None:
        shards.gather()  # every rank sends its shards; rank 0's model receives them
    result.steps = step
    result.samples_per_second = samples / result.train_seconds if result.train_seconds else 0.0
    model.eval()
    return result


def _batch_loss(
    loss: torch.Tensor, labels: torch.Tensor | None, mean_tokens: float, examples: int
) -> float:
    """The step's reported loss: the batch's mean loss, over the whole global batch when
    several processes each hold a share (weighed by their labelled tokens or examples)."""
    value = float(loss.detach())
    if not distributed.active():
        return value
    per_token = labels is not None and labels.dim() >= 2 and bool(mean_tokens)
    count = int((labels != IGNORE_INDEX).sum()) if per_token and examples else examples
    return distributed.global_mean(value, count)


def _resume(
    checkpoint: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    watch: _Watch,
    result: TrainingResult,
) -> dict[str, Any]:
    """Load ``checkpoint`` into the model, optimizer and schedule; restore the history, the
    best evaluation and weights, and the early-stopping count; return the loop position."""
    position = load_checkpoint(checkpoint, model=model, optimizer=optimizer, schedule=schedule)
    result.history, result.evaluations = position["history"], position["evaluations"]
    result.best = position.get("best")
    watch.best_value = position.get("best_value")
    watch.bad_rounds = position.get("bad_rounds", 0)
    watch.best_state = load_best_state(checkpoint, model)
    logger.info("resumed from %s at step %d", checkpoint, position["step"])
    return position


def _resume_sharded(
    checkpoint: Path,
    shards: fsdp.ShardedModel,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    watch: _Watch,
    result: TrainingResult,
) -> dict[str, Any]:
    """:func:`_resume` for a sharded model: every rank reads ``checkpoint`` (of any process
    count) and keeps its shards of the weights, optimizer state and best weights."""
    position, best = shards.resume(checkpoint, optimizer=optimizer, schedule=schedule)
    result.history, result.evaluations = position["history"], position["evaluations"]
    result.best = position.get("best")
    watch.best_value = position.get("best_value")
    watch.bad_rounds = position.get("bad_rounds", 0)
    watch.best_state = best
    logger.info("resumed from %s at step %d", checkpoint, position["step"])
    return position


def _evaluate(
    model: torch.nn.Module,
    evaluate: Evaluate,
    watch: _Watch,
    config: FineTuneConfig,
    result: TrainingResult,
    step: int,
    epoch: int,
    on_event: OnEvent | None,
) -> bool:
    """Score the model after an epoch; keep the best weights; say whether to stop early."""
    metrics = evaluate(model).metrics()
    model.train()
    record = {"type": "evaluation", "epoch": epoch, "step": step, "metrics": metrics}
    result.evaluations.append(record)
    logger.info(
        "epoch %d validation: %s", epoch, ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
    )
    if watch.improved(metrics):
        result.best = record
        if config.restore_best:
            watch.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    stop = bool(on_event and on_event(record))
    if config.early_stopping_metric and watch.bad_rounds >= watch.patience:
        logger.info(
            "early stopping: %s has not improved for %s",
            watch.metric,
            plural(watch.bad_rounds, "evaluation"),
        )
        result.stopped_early = True
        stop = True
    return stop
