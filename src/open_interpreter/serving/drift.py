"""Drift of every served model version, as the predict route sees its predictions.

Per (model, version) a :class:`~open_interpreter.continual.drift.DriftWindow` of the last
predictions is compared with the version's baseline: its own predictions on its evaluation
data, computed once per server process on first use — the evaluation sets a continued
model carries (``continual/eval``), else the dataset of the version's newest stored
evaluation (``POST /v1/models/{name}/evaluations``), at most ``baseline_limit`` texts. A
version with neither has no baseline and is never called drifted.

A window survives a restart: it is saved to the database (table ``drift_windows``) every
``save_every`` predictions, when it starts or stops being drifted, and when the server
stops; a version served again resumes its stored window (observations stored first,
then the new ones) and whether it was drifted (so a drifted window is not recorded as a
new drift event again). Replicas share the stored row: the last to save wins.

Gauges per model and version on ``/metrics``: ``oi_drift_label_psi``,
``oi_drift_confidence_psi``, ``oi_drift_window_predictions``, ``oi_drift_adwin_detections``
and ``oi_drift_detected`` (1 while drifted).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from open_interpreter.continual.drift import (
    PSI_SIGNIFICANT,
    Baseline,
    DriftStatus,
    DriftWindow,
    Observation,
    observation_of,
)
from open_interpreter.storage import Database

logger = logging.getLogger(__name__)

Key = tuple[str, int]


@dataclass
class Tracked:
    """One served version's window, its baseline's computation, and whether it drifted."""

    window: DriftWindow
    baseline: asyncio.Task[Baseline | None] | None = None
    drifted: bool = False
    baseline_source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unsaved: int = 0  # observations since the window was last saved
    saving: asyncio.Lock = field(default_factory=asyncio.Lock)


class DriftTracker:
    """Drift windows of the served versions, with their gauges.

    Args:
        registry: The app's metrics registry (the gauges are added to it).
        db: The database (stored evaluations, for baselines).
        window: Predictions per window.
        min_window: Predictions a window needs before it can be drifted.
        threshold: PSI above which a window is drifted.
        baseline_limit: Most evaluation texts a baseline is computed on.
        save_every: Observations after which a window is saved to the database.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        db: Database,
        *,
        window: int = 200,
        min_window: int = 100,
        threshold: float = PSI_SIGNIFICANT,
        baseline_limit: int = 500,
        save_every: int = 20,
    ):
        self.db = db
        self.save_every = save_every
        self._saves: set[asyncio.Task[None]] = set()
        self.window, self.min_window, self.threshold = window, min_window, threshold
        self.baseline_limit = baseline_limit
        self._tracked: dict[Key, Tracked] = {}
        labels = ["model", "version"]
        self.gauges = {
            "label_psi": Gauge(
                "oi_drift_label_psi",
                "PSI of predicted labels vs baseline",
                labels,
                registry=registry,
            ),
            "confidence_psi": Gauge(
                "oi_drift_confidence_psi",
                "PSI of confidences vs baseline",
                labels,
                registry=registry,
            ),
            "window": Gauge(
                "oi_drift_window_predictions",
                "Predictions in the drift window",
                labels,
                registry=registry,
            ),
            "adwin_detections": Gauge(
                "oi_drift_adwin_detections",
                "ADWIN changes of mean confidence",
                labels,
                registry=registry,
            ),
            "drifted": Gauge(
                "oi_drift_detected",
                "1 while the window is drifted (PSI > threshold)",
                labels,
                registry=registry,
            ),
        }

    def _track(self, name: str, version: int, path: Path, loaded: Any) -> Tracked:
        key = (name, version)
        tracked = self._tracked.get(key)
        if tracked is None:
            window = DriftWindow(
                size=self.window, min_size=self.min_window, threshold=self.threshold
            )
            tracked = self._tracked[key] = Tracked(window)
            tracked.baseline = asyncio.get_running_loop().create_task(
                self._baseline(tracked, name, version, path, loaded)
            )
        return tracked

    def observe(
        self, name: str, version: int, path: Path, loaded: Any, predictions: list[dict[str, Any]]
    ) -> DriftStatus | None:
        """Add a request's predictions; the status if the version has just drifted (the
        window crossed the threshold with this request), else None. On the event loop."""
        tracked = self._track(name, version, path, loaded)
        for prediction in predictions:
            observation = observation_of(prediction)
            if observation is not None:
                tracked.window.observe(observation)
                tracked.unsaved += 1
        drifted_before = tracked.drifted
        started = self._update(name, version, tracked)
        if tracked.unsaved >= self.save_every or tracked.drifted != drifted_before:
            self._save_soon(name, version, tracked)
        return started

    def _save_soon(self, name: str, version: int, tracked: Tracked) -> None:
        task = asyncio.get_running_loop().create_task(self._save(name, version, tracked))
        self._saves.add(task)
        task.add_done_callback(self._saves.discard)

    async def _save(self, name: str, version: int, tracked: Tracked) -> None:
        """Write the window as it is when this save's turn comes (saves of one window
        run one after another, so the newest is written last)."""
        from fastapi.concurrency import run_in_threadpool

        async with tracked.saving:
            if tracked.unsaved == 0:
                return
            rows = [[list(o.labels), o.confidence] for o in tracked.window.observations()]
            tracked.unsaved = 0
            try:
                await run_in_threadpool(save_window, self.db, name, version, rows, tracked.drifted)
            except Exception:  # a window that cannot be saved must not break predictions
                logger.exception("saving the drift window of %s@%d failed", name, version)

    async def flush(self) -> None:
        """Save every window with unsaved observations, and wait for every save (the
        server calls it when it stops)."""
        for (name, version), tracked in self._tracked.items():
            if tracked.unsaved:
                self._save_soon(name, version, tracked)
        if self._saves:
            await asyncio.gather(*self._saves, return_exceptions=True)

    def _update(self, name: str, version: int, tracked: Tracked) -> DriftStatus | None:
        status = tracked.window.status()
        values = {
            "label_psi": status.label_psi,
            "confidence_psi": status.confidence_psi,
            "window": status.window,
            "adwin_detections": status.adwin_detections,
            "drifted": int(status.drifted),
        }
        for metric, value in values.items():
            if value is not None:
                self.gauges[metric].labels(model=name, version=str(version)).set(value)
        started = status.drifted and not tracked.drifted
        tracked.drifted = status.drifted
        return status if started else None

    async def status(
        self, name: str, version: int, path: Path, loaded: Any
    ) -> tuple[DriftStatus, str | None]:
        """The version's drift status now (its baseline computed first if need be), and
        where its baseline came from (None: it has none)."""
        tracked = self._track(name, version, path, loaded)
        if tracked.baseline is not None:
            await asyncio.shield(tracked.baseline)
        return tracked.window.status(), tracked.baseline_source

    def is_tracked(self, name: str, version: int) -> bool:
        """Whether ``name``@``version`` has been served (or asked about) since the start."""
        return (name, version) in self._tracked

    def known(self) -> list[tuple[str, int, DriftStatus]]:
        """Every tracked version and its status (the dashboard's view)."""
        return [(name, v, t.window.status()) for (name, v), t in self._tracked.items()]

    async def _baseline(
        self, tracked: Tracked, name: str, version: int, path: Path, loaded: Any
    ) -> Baseline | None:
        from fastapi.concurrency import run_in_threadpool

        try:
            stored = await run_in_threadpool(load_window, self.db, name, version)
            if stored is not None:
                tracked.window.restore(stored[0], drifted=stored[1])
                tracked.drifted = tracked.drifted or stored[1]
        except Exception:  # a window that cannot be read back starts empty
            logger.exception("reading the stored drift window of %s@%d failed", name, version)
        try:
            found = await run_in_threadpool(self._baseline_texts, name, version, path)
            if found is None:
                logger.info("no evaluation data for %s@%d: no drift baseline", name, version)
                return None
            source, texts = found
            inputs = loaded.interpreter.task.check_inputs(texts)
            predictions = await loaded.batcher.predict(inputs)
            observations = [observation_of(p.to_dict()) for p in predictions]
            baseline = Baseline.of(o for o in observations if o is not None)
        except Exception:  # a baseline that cannot be built must not break predictions
            logger.exception("drift baseline of %s@%d failed", name, version)
            return None
        tracked.window.set_baseline(baseline)
        tracked.baseline_source = source
        logger.info(
            "drift baseline of %s@%d: %d predictions on %s",
            name,
            version,
            baseline.predictions,
            source,
        )
        return baseline

    def _baseline_texts(self, name: str, version: int, path: Path) -> tuple[str, list[str]] | None:
        """Evaluation texts of the version: its continual evaluation sets, else its newest
        stored evaluation's dataset; None if it has neither."""
        from open_interpreter.continual import ContinualState

        state = ContinualState.load(path)
        if state is not None and state.eval_sets:
            texts = [t for examples in state.eval_sets for t in _texts(examples)]
            return "continual evaluation sets", texts[: self.baseline_limit]
        examples = self._stored_evaluation_examples(name, version)
        if examples is None:
            return None
        return f"dataset {examples.source}", _texts(examples)[: self.baseline_limit]

    def _stored_evaluation_examples(self, name: str, version: int) -> Any:
        from sqlalchemy import select

        from open_interpreter.services.datasets import load_examples
        from open_interpreter.storage.tables import Dataset, Evaluation

        with self.db.session() as session:
            dataset = session.scalar(
                select(Dataset)
                .join(Evaluation, Evaluation.dataset_id == Dataset.id)
                .where(Evaluation.model_name == name, Evaluation.version == version)
                .order_by(Evaluation.created_at.desc())
                .limit(1)
            )
            return load_examples(dataset) if dataset is not None else None


def _texts(examples: Any) -> list[str]:
    if hasattr(examples, "tokens"):
        return [" ".join(words) for words in examples.tokens if words]
    return [text for text in examples.texts if text]


def save_window(
    db: Database, name: str, version: int, observations: list[list[Any]], drifted: bool
) -> None:
    """Store ``name``@``version``'s window (``[labels, confidence]`` rows, oldest first)."""
    from sqlalchemy.exc import IntegrityError

    from open_interpreter.services.continual_tables import StoredDriftWindow
    from open_interpreter.storage.tables import utcnow

    with db.session() as session:
        row = session.get(StoredDriftWindow, (name, version))
        if row is None:
            row = StoredDriftWindow(model_name=name, version=version)
            session.add(row)
        row.observations, row.drifted, row.updated_at = observations, drifted, utcnow()
        try:
            session.commit()
        except IntegrityError:  # another replica stored it first, or the model was deleted
            session.rollback()


def load_window(db: Database, name: str, version: int) -> tuple[list[Observation], bool] | None:
    """``name``@``version``'s stored window and whether it was drifted; None if none."""
    from open_interpreter.services.continual_tables import StoredDriftWindow

    with db.session() as session:
        row = session.get(StoredDriftWindow, (name, version))
        if row is None:
            return None
        observations = [
            Observation(tuple(str(label) for label in labels), float(confidence))
            for labels, confidence in row.observations
        ]
        return observations, bool(row.drifted)


def on_drift(db: Database, name: str, version: int, status: DriftStatus) -> None:
    """Record that ``name``@``version`` drifted and let its retraining policy queue a
    continue job (:func:`~open_interpreter.services.continual_policy.record_drift`).
    Never raises: a prediction is answered whatever happens here. Call from a thread."""
    from open_interpreter.services.continual_policy import record_drift

    try:
        with db.session() as session:
            job = record_drift(session, name, version, status.to_dict())
        if job is not None:
            logger.info("%s@%d drifted (%s): queued %s", name, version, status.reasons, job.id)
    except Exception:
        logger.exception("recording the drift of %s@%d failed", name, version)
