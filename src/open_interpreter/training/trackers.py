"""Experiment trackers: a run's loss, learning rate and validation metrics in TensorBoard
or MLflow, as ``report_to`` in the config asks.

Each tracker is fed the training loop's events (the ``on_event`` callback) beside the
caller's own callback. Both packages are optional and imported only when asked for;
asking for one that is not installed is a :class:`ConfigError` saying what to install.

- TensorBoard writes event files to ``<parent of output_dir>/tensorboard/<run name>``
  (``runs/tensorboard/<time>`` without an output_dir): the saved model directory is
  replaced when the model is saved, so logs do not live inside it. For a job of
  ``oi serve`` that is ``artifacts/jobs/<job id>/tensorboard/run``.
- MLflow logs to ``MLFLOW_TRACKING_URI`` (default ``./mlruns``), in the experiment
  ``MLFLOW_EXPERIMENT_NAME`` (default ``open-interpreter``), with the config as params.

Example:
    >>> with trackers(config, on_event=None) as on_event:  # doctest: +SKIP
    ...     train(model, features, config=config, on_event=on_event)
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from open_interpreter.config import FineTuneConfig
from open_interpreter.errors import ConfigError

logger = logging.getLogger(__name__)

OnEvent = Callable[[dict[str, Any]], bool | None]


class Tracker(Protocol):
    """Receives every training event; closed once at the end of the run."""

    def __call__(self, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def metric_values(event: dict[str, Any]) -> dict[str, float]:
    """The scalars to log for one event, named ``train/…`` or ``validation/…``.

    Example:
        >>> metric_values({"type": "step", "step": 3, "loss": 0.5, "learning_rate": 1e-4})
        {'train/loss': 0.5, 'train/learning_rate': 0.0001}
    """
    if event.get("type") == "step":
        keys = ("loss", "learning_rate", "samples_per_second")
        values = {f"train/{k}": event[k] for k in keys if k in event}
    elif event.get("type") == "evaluation":
        values = {f"validation/{k}": v for k, v in (event.get("metrics") or {}).items()}
    else:
        return {}
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float)}


def run_name(config: FineTuneConfig) -> str:
    """A readable name for the run: the last two parts of its output_dir, or the time."""
    if config.output_dir:
        return "/".join(Path(config.output_dir).parts[-2:])
    return time.strftime("%Y%m%d-%H%M%S")


def tensorboard_dir(config: FineTuneConfig) -> Path:
    """Where TensorBoard event files of this run go (beside output_dir, not inside it)."""
    if config.output_dir:
        output = Path(config.output_dir)
        return output.parent / "tensorboard" / output.name
    return Path("runs") / "tensorboard" / run_name(config)


class TensorBoardTracker:
    """Writes scalars per step and per evaluation, and the config as text."""

    def __init__(self, config: FineTuneConfig):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                "report_to=tensorboard needs the tensorboard package: pip install tensorboard"
            ) from None
        self.log_dir = tensorboard_dir(config)
        self.writer = SummaryWriter(log_dir=str(self.log_dir))
        settings = json.dumps(config.model_dump(mode="json"), indent=2)
        self.writer.add_text("config", f"```\n{settings}\n```")

    def __call__(self, event: dict[str, Any]) -> None:
        step = event.get("step")
        for name, value in metric_values(event).items():
            self.writer.add_scalar(name, value, global_step=step)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()


class MLflowTracker:
    """Logs the config as params and every scalar as a metric of one MLflow run."""

    def __init__(self, config: FineTuneConfig):
        try:
            import mlflow
        except ImportError:
            raise ConfigError(
                "report_to=mlflow needs the mlflow package: pip install mlflow"
            ) from None
        self.mlflow = mlflow
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "open-interpreter"))
        mlflow.start_run(run_name=run_name(config))
        mlflow.log_params(flat_params(config.model_dump(mode="json")))

    def __call__(self, event: dict[str, Any]) -> None:
        values = metric_values(event)
        if values:
            self.mlflow.log_metrics(
                {k.replace("/", "_"): v for k, v in values.items()}, step=event.get("step")
            )

    def close(self) -> None:
        self.mlflow.end_run()


def flat_params(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested settings as ``{"peft.r": "8", ...}`` strings, as MLflow params want them.

    Example:
        >>> flat_params({"epochs": 3, "peft": {"method": "lora", "r": 8}})
        {'epochs': '3', 'peft.method': 'lora', 'peft.r': '8'}
    """
    flat: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_params(value, f"{name}."))
        else:
            flat[name] = str(value)[:500]
    return flat


TRACKERS: dict[str, Callable[[FineTuneConfig], Tracker]] = {
    "tensorboard": TensorBoardTracker,
    "mlflow": MLflowTracker,
}


@contextmanager
def trackers(config: FineTuneConfig, on_event: OnEvent | None) -> Iterator[OnEvent | None]:
    """Open the trackers ``config.report_to`` names; yield a callback feeding them and then
    ``on_event``; close them when the block ends.

    A tracker that fails while logging is dropped with a warning: logging never stops a
    training run.

    Raises:
        ConfigError: A tracker's package is not installed.
    """
    opened: list[Tracker] = []
    try:
        for name in dict.fromkeys(config.report_to):
            opened.append(TRACKERS[name](config))
        if not opened:
            yield on_event
            return
        active = list(opened)

        def fan_out(event: dict[str, Any]) -> bool | None:
            for tracker in list(active):
                try:
                    tracker(event)
                except Exception as exc:
                    logger.warning("%s stopped logging: %s", type(tracker).__name__, exc)
                    active.remove(tracker)
            return on_event(event) if on_event is not None else None

        yield fan_out
    finally:
        for tracker in opened:
            try:
                tracker.close()
            except Exception as exc:
                logger.warning("could not close %s: %s", type(tracker).__name__, exc)
