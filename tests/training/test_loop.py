"""The training loop on its own: checkpoints, resume, accumulation, events."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from open_interpreter.config import FineTuneConfig
from open_interpreter.data.batching import collate
from open_interpreter.errors import ConfigError
from open_interpreter.models.loading import add_head, load_backbone, load_tokenizer
from open_interpreter.runtime import seed_everything
from open_interpreter.tasks import TokenClassificationTask
from open_interpreter.training.checkpoint import latest_checkpoint
from open_interpreter.training.loop import TrainingResult, train

from ..fixtures.data import ner_sentences


class Interrupted(Exception):
    pass


@pytest.fixture
def setup(tiny_bert_dir: Path):
    tokenizer = load_tokenizer(tiny_bert_dir)
    task = TokenClassificationTask()
    from open_interpreter.data.examples import TokenExamples

    tokens, tags = ner_sentences(40)
    examples = TokenExamples(tokens, tags)
    labels = task.label_set(examples)
    features = task.encode(tokenizer, examples, {t: i for i, t in enumerate(labels)}, 64)

    def fresh_model():
        seed_everything(0)
        return add_head(load_backbone(tiny_bert_dir), task.auto_class, labels)

    return fresh_model, features, tokenizer.pad_token_id


def _config(**changes) -> FineTuneConfig:
    return FineTuneConfig(
        **{"learning_rate": 1e-3, "batch_size": 8, "epochs": 2, "progress": False, **changes}
    )


def _checkpoint_of_a_crash(setup, tmp_path, crash_at: int, evaluate=None, **settings):
    """Train with a checkpoint every ``crash_at - 1`` steps, crash at step ``crash_at``,
    and return the checkpoint left behind."""
    fresh_model, features, pad_id = setup

    def crash(event):
        if event["type"] == "step" and event["step"] == crash_at:
            raise Interrupted

    interrupted = fresh_model()  # before seeding: building it draws random numbers
    with pytest.raises(Interrupted):
        seed_everything(0)
        train(
            interrupted,
            features,
            config=_config(checkpoint_every=crash_at - 1, **settings),
            pad_id=pad_id,
            evaluate=evaluate,
            run_dir=tmp_path,
            on_event=crash,
        )
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.name == f"step-{crash_at - 1}"
    return checkpoint


def test_resuming_from_a_checkpoint_ends_where_an_uninterrupted_run_ends(setup, tmp_path):
    fresh_model, features, pad_id = setup
    whole = fresh_model()
    seed_everything(0)
    train(whole, features, config=_config(), pad_id=pad_id)

    checkpoint = _checkpoint_of_a_crash(setup, tmp_path, crash_at=4)
    resumed = fresh_model()
    seed_everything(123)  # the checkpoint restores the random state, not this seed
    result = train(resumed, features, config=_config(resume_from=str(checkpoint)), pad_id=pad_id)
    assert result.steps == 10
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


class _Report:
    def __init__(self, metrics: dict[str, float]) -> None:
        self._metrics = metrics

    def metrics(self) -> dict[str, float]:
        return self._metrics


def _shifted_tag_loss(features, pad_id):
    """Scores the model by its loss on the training sentences with every tag replaced by the
    next one: the better it learns the real tags, the worse it scores, so the first epoch
    is the best and every later one worse."""
    n = 1 + max(tag for f in features for tag in f.labels)
    labels = [replace(f, labels=[t if t < 0 else (t + 1) % n for t in f.labels]) for f in features]
    batch = collate(labels, pad_id)

    def evaluate(model):
        model.eval()
        with torch.no_grad():
            return _Report({"loss": float(model(**batch).loss)})

    return evaluate


def _whole_and_resumed(setup, tmp_path, crash_at: int, **changes):
    """Train once without a break, and once stopped at ``crash_at`` and resumed from the
    last checkpoint before it; return both models and results."""
    fresh_model, features, pad_id = setup
    evaluate = _shifted_tag_loss(features, pad_id)
    settings = {"epochs": 4, "early_stopping_metric": "loss", **changes}
    whole = fresh_model()
    seed_everything(0)
    whole_result = train(
        whole, features, config=_config(**settings), pad_id=pad_id, evaluate=evaluate
    )
    checkpoint = _checkpoint_of_a_crash(setup, tmp_path, crash_at, evaluate, **settings)
    resumed = fresh_model()
    config = _config(resume_from=str(checkpoint), **settings)
    resumed_result = train(resumed, features, config=config, pad_id=pad_id, evaluate=evaluate)
    return (whole, whole_result), (resumed, resumed_result)


def _assert_same_run(whole: tuple[torch.nn.Module, TrainingResult], resumed) -> None:
    (whole_model, whole_result), (resumed_model, resumed_result) = whole, resumed
    assert resumed_result.best == whole_result.best
    assert resumed_result.steps == whole_result.steps
    assert resumed_result.stopped_early == whole_result.stopped_early
    assert resumed_result.evaluations == whole_result.evaluations
    for (name, a), b in zip(
        whole_model.state_dict().items(), resumed_model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name


def test_a_run_resumed_after_its_best_epoch_restores_the_same_best_weights(setup, tmp_path):
    # 5 steps an epoch: the checkpoint at step 7 is in epoch 2, after the best (epoch 1).
    whole, resumed = _whole_and_resumed(setup, tmp_path, crash_at=8, early_stopping_patience=9)
    evaluations = whole[1].evaluations
    assert whole[1].best is not None and whole[1].best["epoch"] == 1
    assert (
        len(evaluations) == 4
        and evaluations[-1]["metrics"]["loss"] > evaluations[0]["metrics"]["loss"]
    )
    _assert_same_run(whole, resumed)
    assert (tmp_path / "checkpoints" / "step-7" / "best_model.safetensors").is_file()


def test_a_resumed_run_counts_patience_from_before_the_break(setup, tmp_path):
    # Epochs 2 and 3 are worse than epoch 1: patience 2 stops after epoch 3. The
    # checkpoint at step 12 is in epoch 3, after one evaluation without improvement.
    whole, resumed = _whole_and_resumed(setup, tmp_path, crash_at=13, early_stopping_patience=2)
    assert whole[1].stopped_early and whole[1].steps == 15
    _assert_same_run(whole, resumed)


def test_gradient_accumulation_counts_optimizer_steps(setup):
    fresh_model, features, pad_id = setup
    result = train(
        fresh_model(),
        features,
        config=_config(gradient_accumulation_steps=2, epochs=1),
        pad_id=pad_id,
    )
    assert result.steps == 3  # 40 examples / batch 8 = 5 batches -> steps after 2, 4 and 5
    assert result.samples_per_second > 0


def test_returning_true_from_an_event_stops_the_run(setup):
    fresh_model, features, pad_id = setup
    result = train(
        fresh_model(),
        features,
        config=_config(),
        pad_id=pad_id,
        on_event=lambda event: event.get("step") == 2,
    )
    assert result.steps == 2


def test_checkpoints_need_a_directory(setup):
    fresh_model, features, pad_id = setup
    with pytest.raises(ConfigError, match="checkpoint_every needs an output_dir"):
        train(fresh_model(), features, config=_config(checkpoint_every=2), pad_id=pad_id)


def test_unknown_early_stopping_metric_names_the_measured_ones(setup):
    fresh_model, features, pad_id = setup
    config = _config(early_stopping_metric="bleu")
    with pytest.raises(
        ConfigError, match=r"early_stopping_metric='bleu' is not measured; choose one of"
    ):
        train(
            fresh_model(),
            features,
            config=config,
            pad_id=pad_id,
            evaluate=lambda model: type("R", (), {"metrics": lambda self: {"loss": 1.0}})(),
        )


def test_every_labelled_token_weighs_the_same_whatever_its_batch(setup):
    """One SGD step over length-grouped micro-batches equals one step over the whole set.

    Without the token weighting, tokens of short batches would count more and the two
    models would differ.
    """
    fresh_model, features, pad_id = setup
    sgd = {"optimizer": "sgd", "momentum": 0.0, "learning_rate": 0.5, "weight_decay": 0.0}
    plain = {"warmup_ratio": 0.0, "max_grad_norm": None, "dropout": 0.0, "precision": "fp32"}
    settings = {**sgd, **plain, "epochs": 1}
    whole, grouped = fresh_model(), fresh_model()
    train(whole, features, config=_config(batch_size=len(features), **settings), pad_id=pad_id)
    config = _config(batch_size=4, gradient_accumulation_steps=10, **settings)
    result = train(grouped, features, config=config, pad_id=pad_id)
    assert result.steps == 1
    for (name, a), b in zip(whole.state_dict().items(), grouped.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
