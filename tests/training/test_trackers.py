"""``report_to``: a run's curves in TensorBoard (a real tiny fine-tune, read back) and
MLflow (against a stand-in module: the real package is too heavy to install for tests)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError
from open_interpreter.training import trackers
from open_interpreter.training.trackers import flat_params, metric_values, tensorboard_dir

from ..fixtures.data import ner_sentences


def test_events_become_named_scalars():
    step = {"type": "step", "step": 4, "loss": 0.5, "learning_rate": 1e-3, "epoch": 0.5}
    assert metric_values(step) == {"train/loss": 0.5, "train/learning_rate": 1e-3}
    evaluation = {"type": "evaluation", "step": 8, "metrics": {"accuracy": 0.9, "note": "x"}}
    assert metric_values(evaluation) == {"validation/accuracy": 0.9}
    assert metric_values({"type": "log", "message": "hi"}) == {}


def test_settings_flatten_into_params():
    params = flat_params({"epochs": 3, "peft": {"method": "lora", "r": 8}, "peft_off": None})
    assert params == {"epochs": "3", "peft.method": "lora", "peft.r": "8", "peft_off": "None"}


def test_report_to_takes_one_name_or_a_list():
    assert FineTuneConfig(report_to="tensorboard").report_to == ["tensorboard"]
    assert FineTuneConfig.build({"report_to": ["mlflow", "tensorboard"]}).report_to == [
        "mlflow",
        "tensorboard",
    ]
    with pytest.raises(ConfigError, match="report_to"):
        FineTuneConfig.build({"report_to": ["wandb"]})


def test_tensorboard_logs_sit_beside_the_saved_model(tmp_path: Path):
    config = FineTuneConfig(output_dir=str(tmp_path / "runs" / "ner"))
    assert tensorboard_dir(config) == tmp_path / "runs" / "tensorboard" / "ner"


def test_a_fine_tune_reports_to_tensorboard(tiny_bert_dir: Path, tmp_path: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from open_interpreter import OpenInterpreter

    tokens, tags = ner_sentences(24)
    dev_tokens, dev_tags = ner_sentences(8, seed=1)
    output = tmp_path / "run"
    result = OpenInterpreter(str(tiny_bert_dir)).fine_tune(
        train_data=tokens,
        train_labels=tags,
        validation_data=dev_tokens,
        validation_labels=dev_tags,
        epochs=2,
        batch_size=8,
        learning_rate=5e-3,
        progress=False,
        num_threads=1,
        output_dir=str(output),
        report_to="tensorboard",
    )
    logs = EventAccumulator(str(tmp_path / "tensorboard" / "run")).Reload()
    scalars = logs.Tags()["scalars"]
    assert {"train/loss", "train/learning_rate", "validation/entity_f1"} <= set(scalars)
    assert [e.step for e in logs.Scalars("train/loss")] == list(range(1, result.training.steps + 1))
    assert len(logs.Scalars("validation/entity_f1")) == 2
    assert (output / "oi_model.json").is_file()  # saving the model left the logs alone


def test_a_missing_tracker_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with (
        pytest.raises(ConfigError, match="pip install tensorboard"),
        trackers.trackers(FineTuneConfig(report_to=["tensorboard"]), None),
    ):
        pass
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with (
        pytest.raises(ConfigError, match="pip install mlflow"),
        trackers.trackers(FineTuneConfig(report_to=["mlflow"]), None),
    ):
        pass


def test_mlflow_gets_params_metrics_per_step_and_an_end(monkeypatch: pytest.MonkeyPatch):
    calls: list[tuple] = []
    fake = types.SimpleNamespace(
        set_experiment=lambda name: calls.append(("experiment", name)),
        start_run=lambda run_name: calls.append(("start", run_name)),
        log_params=lambda params: calls.append(("params", params["learning_rate"])),
        log_metrics=lambda metrics, step: calls.append(("metrics", metrics, step)),
        end_run=lambda: calls.append(("end",)),
    )
    monkeypatch.setitem(sys.modules, "mlflow", fake)
    seen = []
    config = FineTuneConfig(report_to=["mlflow"], output_dir="runs/ner", learning_rate=3e-5)
    with trackers.trackers(config, seen.append) as on_event:
        on_event({"type": "step", "step": 1, "loss": 0.7, "learning_rate": 3e-5})
        on_event({"type": "evaluation", "step": 1, "epoch": 1, "metrics": {"accuracy": 0.6}})
    assert calls == [
        ("experiment", "open-interpreter"),
        ("start", "runs/ner"),
        ("params", "3e-05"),
        ("metrics", {"train_loss": 0.7, "train_learning_rate": 3e-5}, 1),
        ("metrics", {"validation_accuracy": 0.6}, 1),
        ("end",),
    ]
    assert len(seen) == 2  # the caller's own callback still gets every event


def test_a_failing_tracker_is_dropped_and_training_goes_on(monkeypatch: pytest.MonkeyPatch):
    class Broken:
        closed = False

        def __init__(self, _config):
            pass

        def __call__(self, _event):
            raise OSError("disk full")

        def close(self):
            Broken.closed = True

    monkeypatch.setitem(trackers.TRACKERS, "tensorboard", Broken)
    seen = []
    with trackers.trackers(FineTuneConfig(report_to=["tensorboard"]), seen.append) as on_event:
        on_event({"type": "step", "step": 1, "loss": 1.0})
        on_event({"type": "step", "step": 2, "loss": 0.9})
    assert len(seen) == 2 and Broken.closed  # dropped, yet still closed at the end
