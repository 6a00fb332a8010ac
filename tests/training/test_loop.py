"""The training loop on its own: checkpoints, resume, accumulation, events."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.models.loading import add_head, load_backbone, load_tokenizer
from open_interpreter.runtime import seed_everything
from open_interpreter.tasks import TokenClassificationTask
from open_interpreter.training.checkpoint import latest_checkpoint
from open_interpreter.training.loop import train

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


def test_resuming_from_a_checkpoint_ends_where_an_uninterrupted_run_ends(setup, tmp_path):
    fresh_model, features, pad_id = setup
    whole = fresh_model()
    seed_everything(0)
    train(whole, features, config=_config(), pad_id=pad_id)

    def crash_at_step_4(event):
        if event["type"] == "step" and event["step"] == 4:
            raise Interrupted

    interrupted = fresh_model()
    with pytest.raises(Interrupted):
        seed_everything(0)
        train(
            interrupted,
            features,
            config=_config(checkpoint_every=3),
            pad_id=pad_id,
            run_dir=tmp_path,
            on_event=crash_at_step_4,
        )
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.name == "step-3"
    resumed = fresh_model()
    seed_everything(123)  # the checkpoint restores the random state, not this seed
    result = train(resumed, features, config=_config(resume_from=str(checkpoint)), pad_id=pad_id)
    assert result.steps == 10
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


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
