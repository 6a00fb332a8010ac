"""Recommenders in the platform: uploaded tables, registered models, feedback events.

- :func:`store_file` validates an uploaded interactions or items table in full (a
  malformed line is refused with its number) and keeps it as an artifact;
- :func:`train_and_register` evaluates a model kind with leave-last-out, fits it on
  every interaction, and registers the saved directory as the next version of a name
  in the model registry (task ``recommendation``), its manifest naming the kind, the
  data's fingerprint and the evaluation figures;
- :func:`load_registered` loads ``name[@version]`` back (cached by directory);
- :func:`record_event` stores a feedback event; :func:`with_feedback` turns a model's
  events into training interactions (a retrain with ``with_feedback``).

Functions take a ``Session`` first and raise library errors, never HTTP ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from open_interpreter.apps.recommend._data import RecommendationData, load_movielens_100k
from open_interpreter.apps.recommend._evaluate import evaluate_ranking
from open_interpreter.apps.recommend._feedback import Event, add_feedback
from open_interpreter.apps.recommend._models import MODELS, TASK
from open_interpreter.apps.recommend._recommender import Recommender
from open_interpreter.apps.recommend._splits import leave_last_out
from open_interpreter.apps.recommend._tables_io import (
    fingerprint,
    parse_interactions,
    parse_items,
    read_interaction_tables,
    table_format,
)
from open_interpreter.apps.recommend.datasets import ID_PATTERN, interactions_dataset
from open_interpreter.apps.recommend.tables import FeedbackEvent, InteractionFile
from open_interpreter.errors import ConfigError, DataError, NotFoundError
from open_interpreter.paths import MANIFEST
from open_interpreter.services import registry
from open_interpreter.services.callers import LOCAL, Caller
from open_interpreter.storage import artifacts
from open_interpreter.storage.tables import ModelVersion

ROLES = ("interactions", "items")
EVENT_TYPES = ("view", "click", "like", "dislike", "purchase", "rating", "skip")
BUILT_IN_DATA = {"movielens-100k": load_movielens_100k}
PREVIEW_ROWS = 5


def store_file(
    session: Session,
    *,
    role: str,
    filename: str,
    data: bytes,
    name: str | None = None,
    caller: Caller = LOCAL,
) -> InteractionFile:
    """Validate an uploaded table by reading it fully, then keep it as ``caller``'s.

    Args:
        role: ``interactions`` (user, item, rating?, time?) or ``items`` (item, title?,
            text?, genres?, year?).
        filename: Its name (``.csv`` or ``.tsv`` decides the format; errors use it).
        data: The file's bytes.
        name: A display name (default: the file name).

    Raises:
        ConfigError: An unknown role.
        DataError: An empty or malformed table (the message names the line).
    """
    if role not in ROLES:
        raise ConfigError(f"role must be one of {list(ROLES)}, got {role[:40]!r}")
    fmt = table_format(filename)
    if role == "interactions":
        users, items, ratings, times = parse_interactions(data, filename=filename)
        rows = len(users)
        preview: list[Any] = [
            {"user": u, "item": i, "rating": float(r), "time": float(t)}
            for u, i, r, t in list(zip(users, items, ratings, times, strict=True))[:PREVIEW_ROWS]
        ]
    else:
        described = parse_items(data, filename=filename)
        rows = len(described)
        preview = [{"item": k, **v} for k, v in list(described.items())[:PREVIEW_ROWS]]
    file_id = artifacts.new_id("rf")
    relative = f"recommender-files/{file_id}.{fmt}"
    written = artifacts.write_temporary(relative, data)
    row = InteractionFile(
        id=file_id,
        name=(name or Path(filename).name)[:200],
        role=role,
        format=fmt,
        rows=rows,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        path=relative,
        preview=preview,
        owner_key_id=caller.key_id,
    )
    session.add(row)
    try:
        session.flush()
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    artifacts.place(written, relative)
    session.commit()
    return row


def get_file(session: Session, file_id: str, *, caller: Caller = LOCAL) -> InteractionFile:
    """An uploaded table ``caller`` may see.

    Raises:
        NotFoundError: No such file (or not ``caller``'s).
    """
    known = isinstance(file_id, str) and ID_PATTERN.fullmatch(file_id) is not None
    row = session.get(InteractionFile, file_id) if known else None
    if row is None or not caller.may_see(row.owner_key_id):
        raise NotFoundError(f"no recommender file {str(file_id)[:40]!r}")
    return row


def list_files(
    session: Session, *, limit: int = 50, offset: int = 0, caller: Caller = LOCAL
) -> tuple[list[InteractionFile], int]:
    """``caller``'s uploaded tables, newest first, and how many there are."""
    query = caller.owned(select(InteractionFile), InteractionFile.owner_key_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InteractionFile.created_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def load_data(session: Session, config: dict[str, Any], *, caller: Caller = LOCAL) -> Any:
    """The training data a job's config names: a built-in set, uploaded tables, or an
    interactions dataset (``dataset_id``, with an optional items table).

    Raises:
        NotFoundError: An uploaded table or dataset that is not there (or not ``caller``'s).
        ConfigError: A file of the wrong role, a dataset of another shape, or no data named.
    """
    if config.get("data"):
        return BUILT_IN_DATA[config["data"]]()
    items = None
    if config.get("items_file_id"):
        items = get_file(session, config["items_file_id"], caller=caller)
    if config.get("dataset_id"):
        dataset = interactions_dataset(session, config["dataset_id"], caller=caller)
        inter = None
    else:
        inter = get_file(session, config["interactions_file_id"], caller=caller)
    for row, role in ((inter, "interactions"), (items, "items")):
        if row is not None and row.role != role:
            raise ConfigError(f"file {row.id} holds {row.role}, not {role}")
    if inter is None:
        from open_interpreter.apps.recommend.datasets import load_interactions_dataset

        return load_interactions_dataset(
            dataset,
            artifacts.resolve(items.path).read_bytes() if items is not None else None,
            items_name=None if items is None else _file_name(items),
        )
    return read_interaction_tables(
        artifacts.resolve(inter.path),
        artifacts.resolve(items.path) if items is not None else None,
        interactions_name=_file_name(inter),
        items_name=None if items is None else _file_name(items),
    )


def _file_name(row: InteractionFile) -> str:
    """The name a stored table's errors use, ending in its format."""
    suffix = f".{row.format}"
    return row.name if row.name.lower().endswith(suffix) else f"{row.name}{suffix}"


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """A training config, checked and completed: ``model`` kind, data, options, seed.

    Raises:
        ConfigError: An unknown kind or built-in data set, no data, bad options.
    """
    if not isinstance(config, dict):
        raise ConfigError("a recommender's config must be an object")
    known = {
        "model",
        "data",
        "interactions_file_id",
        "items_file_id",
        "dataset_id",
        "options",
        "seed",
        "with_feedback",
    }
    extra = sorted(set(config) - known)
    if extra:
        raise ConfigError(f"unknown recommender settings {extra[:5]}; known: {sorted(known)}")
    kind = config.get("model", "hybrid")
    if kind not in MODELS:
        raise ConfigError(f"unknown recommender {str(kind)[:40]!r}; choose from {sorted(MODELS)}")
    feedback = config.get("with_feedback", False)
    if not isinstance(feedback, bool):
        raise ConfigError(f"with_feedback must be true or false, got {feedback!r}")
    data, inter = config.get("data"), config.get("interactions_file_id")
    dataset = config.get("dataset_id")
    if dataset is not None and (not isinstance(dataset, str) or not dataset):
        raise ConfigError("dataset_id must be a dataset's id")
    named = sum(bool(x) for x in (data, inter, dataset))
    if config.get("items_file_id") and not (inter or dataset):
        raise ConfigError("items_file_id goes with interactions_file_id or dataset_id")
    if named > 1 or (named == 0 and not feedback):
        raise ConfigError(
            f"name the data once: data (one of {sorted(BUILT_IN_DATA)}), "
            "interactions_file_id (an uploaded table) or dataset_id (an interactions "
            "dataset), not both; with_feedback alone retrains on the latest version's data"
        )
    if data and data not in BUILT_IN_DATA:
        raise ConfigError(f"unknown data {str(data)[:40]!r}; built in: {sorted(BUILT_IN_DATA)}")
    options = config.get("options") or {}
    if not isinstance(options, dict) or not all(
        isinstance(v, int | float | str | bool) for v in options.values()
    ):
        raise ConfigError("options must map setting names to numbers, strings or booleans")
    if "encoder" in options:
        raise ConfigError(
            "a job's recommender uses the default encoder; 'encoder' is not a setting"
        )
    try:
        MODELS[kind](**options)
    except TypeError as exc:
        raise ConfigError(f"bad options for the {kind} model: {exc}") from None
    seed = config.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise ConfigError(f"seed must be an integer from 0 to 2**31-1, got {seed!r}")
    return {**config, "model": kind, "options": options, "seed": seed, "with_feedback": feedback}


def build_model(kind: str, data: RecommendationData, options: dict[str, Any]) -> Any:
    """A model of ``kind``; the text models' item vectors are cached under ``$OI_HOME``."""
    from open_interpreter.apps.recommend._content import embed_items
    from open_interpreter.paths import oi_home

    options = dict(options)
    if kind in ("content", "hybrid", "hybrid-ft") and "item_embeddings" not in options:
        encoder = options.pop("encoder", None)
        cache = oi_home() / "cache" / "item-vectors"
        args = {} if encoder is None else {"encoder": encoder}
        options["item_embeddings"] = embed_items(data.item_text, cache_dir=cache, **args)
        if encoder is not None:
            options["encoder"] = encoder
    return MODELS[kind](**options)


def train_and_register(
    session: Session,
    data: RecommendationData,
    *,
    model_name: str,
    kind: str,
    options: dict[str, Any] | None = None,
    seed: int = 0,
    work_dir: Path,
    lineage: dict[str, Any] | None = None,
    job_id: str | None = None,
    progress: Callable[[str], None] = lambda _message: None,
    model_factory: Callable[[], Any] | None = None,
) -> ModelVersion:
    """Evaluate ``kind`` on a leave-last-out split, fit it on all data, and register it.

    Args:
        session: A database session.
        data: Interactions and item text.
        model_name: The registry name (a new version each time).
        kind: ``popular``, ``itemknn``, ``bpr``, ``content`` or ``hybrid``.
        options: The model's settings.
        seed: Seeds training and the evaluation's bootstrap.
        work_dir: Where the model is saved before the registry copies it.
        lineage: More to keep with the version (a job's config).
        job_id: The job that trained it.
        progress: Called with a line at each stage.
        model_factory: Makes the model (default: :func:`build_model`); tests pass tiny ones.

    Returns:
        The new version; its metrics hold the evaluation table.
    """
    registry.validate_model_name(model_name)
    make = model_factory or (lambda: build_model(kind, data, options or {}))
    evaluation: dict[str, Any] = {}
    try:
        split = leave_last_out(data.interactions)
    except DataError as exc:
        progress(f"no evaluation: {exc}")
        split = None
    if split is not None:
        progress("evaluating with leave-last-out")
        held = make().fit(split.train, data.item_text, seed=seed)
        report = evaluate_ranking(held.score, split, k=10, seed=seed, bootstrap=200)
        evaluation = {
            "protocol": "leave-last-out, full ranking over unseen items",
            **report.to_dict(),
            "train_seconds": held.train_seconds,
        }
    progress("fitting on every interaction")
    recommender = Recommender.fit(data, model=make(), seed=seed)
    metrics = {
        "model": kind,
        "train_seconds": recommender.model.train_seconds,
        "evaluation": evaluation,
    }
    path = recommender.save(Path(work_dir) / "model", metrics=metrics)
    manifest = json.loads((path / MANIFEST).read_text())
    manifest.update({"data": fingerprint(data), "evaluation": evaluation, "seed": seed})
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return registry.register_version(
        session,
        model_name=model_name,
        source_dir=path,
        task=TASK,
        base_model=recommender.model.base_model,
        metrics=metrics,
        lineage={"kind": kind, "options": options or {}, "seed": seed, **(lineage or {})},
        job_id=job_id,
    )


def parse_reference(reference: str) -> tuple[str, int | None]:
    """``name`` or ``name@version`` → ``(name, version or None)``.

    Raises:
        ConfigError: A version that is not a positive number.
    """
    name, at, version = reference.partition("@")
    if not at:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise ConfigError(f"a version must be a positive number: {reference[:60]!r}")
    return name, int(version)


class RecommenderCache:
    """Loaded recommenders by directory (a registered version's files never change)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._loaded: OrderedDict[Path, Recommender] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, name: str = "this model") -> Recommender:
        """The recommender saved at ``path``, loaded once.

        Raises:
            ConfigError: ``path`` holds another kind of model (the message names ``name``,
                not the path).
        """
        with self._lock:
            if path in self._loaded:
                self._loaded.move_to_end(path)
                return self._loaded[path]
        try:
            task = json.loads((path / MANIFEST).read_text()).get("task")
        except (OSError, ValueError):
            task = None
        if task != TASK:
            raise ConfigError(f"{name[:100]!r} is not a recommender (its task is {task!r})")
        recommender = Recommender.load(path)
        with self._lock:
            self._loaded[path] = recommender
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
        return recommender


CACHE = RecommenderCache()


def load_registered(session: Session, reference: str) -> tuple[ModelVersion, Recommender]:
    """The registered recommender ``name[@version]`` (default: production, else latest).

    Raises:
        NotFoundError: No such model or version.
        ConfigError: The model is not a recommender.
    """
    name, version = parse_reference(reference)
    row = registry.get_version(session, name, version=version)
    return row, CACHE.get(artifacts.resolve(row.path), name)


def record_event(
    session: Session,
    *,
    model_name: str,
    user_id: str,
    item_id: str,
    type: str,
    value: float | None = None,
    caller: Caller = LOCAL,
) -> FeedbackEvent:
    """Store one feedback event on a recommender's item.

    Raises:
        ConfigError: An unknown event type.
    """
    if type not in EVENT_TYPES:
        raise ConfigError(f"unknown event type {type[:20]!r}; use one of {list(EVENT_TYPES)}")
    row = FeedbackEvent(
        model_name=model_name,
        user_id=user_id,
        item_id=item_id,
        type=type,
        value=value,
        owner_key_id=caller.key_id,
    )
    session.add(row)
    session.commit()
    return row


def list_events(
    session: Session,
    model_name: str,
    *,
    user_id: str | None = None,
    limit: int = 100,
    caller: Caller = LOCAL,
) -> list[FeedbackEvent]:
    """The latest feedback events on ``model_name`` that ``caller`` recorded (or all, admin)."""
    query = caller.owned(
        select(FeedbackEvent).where(FeedbackEvent.model_name == model_name),
        FeedbackEvent.owner_key_id,
    )
    if user_id is not None:
        query = query.where(FeedbackEvent.user_id == user_id)
    return list(session.scalars(query.order_by(FeedbackEvent.id.desc()).limit(limit)))


def evaluation_table(row: ModelVersion) -> dict[str, Any]:
    """The version's evaluation figures (empty where it was trained without one)."""
    return dict((row.metrics or {}).get("evaluation") or {})


DATA_KEYS = ("data", "interactions_file_id", "items_file_id", "dataset_id")


def original_data(session: Session, model_name: str) -> dict[str, Any]:
    """The data settings the latest version of ``model_name`` was trained on by a job.

    A retrain with feedback adds the events to these original interactions (never to a
    previous retrain's, so no event counts twice).

    Raises:
        NotFoundError: No version of ``model_name``.
        ConfigError: Its latest version was not trained by a job (the CLI with local
            files): name the data.
    """
    registry.get_model(session, model_name)
    versions = registry.list_versions(session, model_name)
    if not versions:
        raise NotFoundError(f"{model_name[:100]!r} has no version to retrain")
    row = versions[-1]
    config = (row.lineage or {}).get("job_config") or {}
    data = {key: config[key] for key in DATA_KEYS if config.get(key)}
    if not data:
        raise ConfigError(
            f"{model_name[:100]!r} v{row.version} was not trained from server data; "
            "name the data to retrain it with feedback"
        )
    return data


def feedback_events(session: Session, model_name: str) -> list[Event]:
    """Every feedback event recorded on ``model_name`` (by any key), oldest first."""
    rows = session.scalars(
        select(FeedbackEvent)
        .where(FeedbackEvent.model_name == model_name)
        .order_by(FeedbackEvent.id)
    )
    return [Event(r.id, r.user_id, r.item_id, r.type, r.value, r.created_at) for r in rows]


def with_feedback(
    session: Session, data: RecommendationData, model_name: str
) -> tuple[RecommendationData, dict[str, Any]]:
    """``data`` plus the positive feedback events on ``model_name`` as interactions.

    Returns:
        The data and the summary the new version's lineage keeps (events read, added,
        not used, new users, the last event id).
    """
    return add_feedback(data, feedback_events(session, model_name))
