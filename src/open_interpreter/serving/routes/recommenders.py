"""``/v1/recommenders``: train recommenders as jobs, ask them, record what users did.

- ``POST /recommenders/files``: upload an interactions or items table (CSV/TSV; refused
  with the line number when malformed); ``GET /recommenders/files`` lists the caller's;
- ``POST /recommenders``: queue a training job (kind ``recommender``), answered with the
  job; it registers the model as the next version of ``name`` in the registry (data: a
  built-in set, uploaded tables or an interactions dataset; ``with_feedback`` adds the
  feedback events recorded on ``name``);
- ``GET /recommenders`` / ``GET /recommenders/{name}``: registered recommenders with
  their versions and evaluation table;
- ``GET /recommenders/{name}/users/{user}/recommendations``: the user's top ``k``, with
  exclusions and a genre filter, each with its reason (an unknown user gets the most
  popular items, and the answer says so); ``…/users/{user}/history``: what they had;
- ``GET /recommenders/{name}/items/{item}/similar``: items like one item;
- ``POST /recommenders/{name}/events``: store a feedback event.

``name`` may carry a version, ``movies@2``; without one the production version (else
the latest) answers. Training and uploads need a ``train`` key; asking and feedback a
``predict`` key. The work is in :mod:`open_interpreter.apps.recommend.store`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from open_interpreter.apps.recommend import store
from open_interpreter.apps.recommend._models import TASK
from open_interpreter.services import jobs, registry
from open_interpreter.services.names import NAME_PATTERN
from open_interpreter.serving.deps import (
    PageDep,
    PredictKey,
    SessionDep,
    StateDep,
    TrainCaller,
    caller_of,
)
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.schemas import FineTunePublic, Page

router = APIRouter(prefix="/recommenders", tags=["recommenders"])

MAX_K = 100
MAX_EXCLUDE = 200
ID_CHARS = 200
Reference = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[0-9]{1,9})?$",
        description="A registered recommender, optionally @version.",
    ),
]
UserId = Annotated[str, Path(min_length=1, max_length=ID_CHARS)]
ItemId = Annotated[str, Path(min_length=1, max_length=ID_CHARS)]
K = Annotated[int, Query(ge=1, le=MAX_K, description=f"How many (1 to {MAX_K}).")]


class RecommenderCreate(BaseModel):
    """A recommender to train: its name, kind, data and settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Registry name; each job adds a version.")
    model: Literal["popular", "itemknn", "bpr", "content", "hybrid", "hybrid-ft"] = "hybrid"
    data: Literal["movielens-100k"] | None = Field(
        None, description="A built-in data set (instead of uploaded tables)."
    )
    interactions_file_id: str | None = Field(None, max_length=32)
    items_file_id: str | None = Field(None, max_length=32)
    dataset_id: str | None = Field(
        None, max_length=32, description="An interactions dataset (POST /v1/datasets)."
    )
    with_feedback: bool = Field(
        False,
        description="Add the feedback events recorded on this name as interactions; with "
        "no data named, retrain on the data of its latest version.",
    )
    options: dict[str, int | float | str | bool] = Field(
        default_factory=dict, max_length=20, description="The model's settings (epochs, dim…)."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


class FilePublic(BaseModel):
    """An uploaded interactions or items table."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: str
    format: str
    rows: int
    sha256: str
    size_bytes: int
    preview: list[dict[str, Any]]
    created_at: datetime


class FilesPublic(Page):
    """A page of uploaded tables."""

    data: list[FilePublic]


class VersionPublic(BaseModel):
    """One registered version of a recommender and how it measured."""

    version: int
    stage: str
    kind: str | None
    train_seconds: float | None
    evaluation: dict[str, Any] = Field(
        description="Leave-last-out, full ranking: k, users, metrics, 95% intervals."
    )
    created_at: datetime


class RecommenderPublic(BaseModel):
    """A registered recommender: its versions, newest first."""

    name: str
    versions: list[VersionPublic]


class RecommendersPublic(Page):
    """Every registered recommender."""

    data: list[RecommenderPublic]


class ItemPublic(BaseModel):
    """A recommended, similar or past item, and why it is here."""

    item_id: str
    title: str
    score: float
    genres: list[str]
    reason: str


class RecommendationsPublic(BaseModel):
    """A ranked list; ``fallback`` says why it is not personal (an unknown user)."""

    model: str
    version: int
    kind: str = Field(description="The model kind that ranked it (popular for a fallback).")
    user_id: str | None
    fallback: str | None
    items: list[ItemPublic]


class HistoryPublic(BaseModel):
    """The items a user had in the recommender's training data, oldest first."""

    model: str
    version: int
    user_id: str
    items: list[ItemPublic]


class EventCreate(BaseModel):
    """What a user did with an item."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=ID_CHARS)
    item_id: str = Field(min_length=1, max_length=ID_CHARS)
    type: Literal["view", "click", "like", "dislike", "purchase", "rating", "skip"] = "click"
    value: float | None = Field(None, ge=-1e6, le=1e6, description="A rating, a dwell time…")


class EventPublic(BaseModel):
    """A stored feedback event."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    model_name: str
    user_id: str
    item_id: str
    type: str
    value: float | None
    created_at: datetime


@router.post("/files", status_code=201)
def upload_file(
    state: StateDep,
    session: SessionDep,
    caller: TrainCaller,
    file: Annotated[UploadFile, File(description="A .csv or .tsv table.")],
    role: Annotated[Literal["interactions", "items"], Form()] = "interactions",
    name: Annotated[str | None, Form(pattern=NAME_PATTERN)] = None,
) -> FilePublic:
    """Upload an interactions (user, item, rating?, time?) or items (item, title?, text?,
    genres?, year?) table; it is read in full and refused (400, naming the line) if bad."""
    limit = state.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, "too_large", f"uploads are limited to {limit} bytes")
    filename = (file.filename or "upload.csv").rsplit("/", 1)[-1][:200]
    row = store.store_file(
        session, role=role, filename=filename, data=data, name=name, caller=caller
    )
    return FilePublic.model_validate(row)


@router.get("/files")
def list_files(session: SessionDep, caller: TrainCaller, page: PageDep) -> FilesPublic:
    """The caller's uploaded tables (an admin key's: all), newest first."""
    rows, total = store.list_files(session, limit=page.limit, offset=page.offset, caller=caller)
    return FilesPublic(data=[FilePublic.model_validate(r) for r in rows], count=total)


@router.post("", status_code=201)
def create_recommender(
    body: RecommenderCreate, session: SessionDep, caller: TrainCaller
) -> FineTunePublic:
    """Queue a training job (kind ``recommender``): evaluate with leave-last-out, fit on
    every interaction, register as the next version of ``name``. Answered with the job
    (``GET /v1/fine-tunes/{id}`` follows it; its ``result`` holds the evaluation)."""
    config = store.check_config(body.model_dump(exclude={"name"}, exclude_none=True))
    for field in ("interactions_file_id", "items_file_id"):
        if body_value := getattr(body, field):
            store.get_file(session, body_value, caller=caller)
    if body.dataset_id:
        store.interactions_dataset(session, body.dataset_id, caller=caller)
    if body.with_feedback and not any(config.get(k) for k in store.DATA_KEYS):
        store.original_data(session, body.name)
    job = jobs.create_job(
        session, model_name=body.name, config=config, caller=caller, kind="recommender"
    )
    return FineTunePublic.model_validate(job)


@router.get("")
def list_recommenders(session: SessionDep, _key: PredictKey) -> RecommendersPublic:
    """Every registered recommender with its versions and their evaluation tables."""
    names = [m.name for m in registry.list_models(session) if m.task == TASK]
    data = [_public(session, name) for name in names]
    return RecommendersPublic(data=data, count=len(data))


@router.get("/{name}")
def get_recommender(name: Reference, session: SessionDep, _key: PredictKey) -> RecommenderPublic:
    """One registered recommender: its versions, newest first, with evaluation tables."""
    model = registry.get_model(session, store.parse_reference(name)[0])
    if model.task != TASK:
        raise Problem(
            404, "not_found", f"{model.name!r} is a {model.task} model, not a recommender"
        )
    return _public(session, model.name)


@router.get("/{name}/users/{user}/recommendations")
async def recommend(
    name: Reference,
    user: UserId,
    state: StateDep,
    _key: PredictKey,
    k: K = 10,
    exclude: Annotated[
        list[str], Query(max_length=MAX_EXCLUDE, description="Item ids never to return.")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    genre: Annotated[
        list[str], Query(max_length=20, description="Keep items of any of these genres.")
    ] = [],  # noqa: B006
) -> RecommendationsPublic:
    """The user's ``k`` best unseen items, each with its reason; an unknown user gets the
    most popular ones and ``fallback`` says so."""
    if any(len(value) > ID_CHARS for value in [*exclude, *genre]):
        raise Problem(422, "validation_error", f"ids and genres are at most {ID_CHARS} characters")
    number, recommender = await _loaded(state, name)
    result = await run_in_threadpool(
        recommender.recommend, user, k, exclude=exclude, genres=genre or None
    )
    return RecommendationsPublic(
        model=store.parse_reference(name)[0],
        version=number,
        kind=result.model,
        user_id=result.user_id,
        fallback=result.fallback,
        items=[ItemPublic(**asdict(item)) for item in result.items],
    )


@router.get("/{name}/users/{user}/history")
async def user_history(
    name: Reference, user: UserId, state: StateDep, _key: PredictKey
) -> HistoryPublic:
    """The items the user had in the model's training data, oldest first (404: unknown)."""
    number, recommender = await _loaded(state, name)
    items = await run_in_threadpool(recommender.history, user)
    return HistoryPublic(
        model=store.parse_reference(name)[0],
        version=number,
        user_id=user,
        items=[ItemPublic(**asdict(item)) for item in items[-200:]],
    )


@router.get("/{name}/items/{item}/similar")
async def similar_items(
    name: Reference, item: ItemId, state: StateDep, _key: PredictKey, k: K = 10
) -> RecommendationsPublic:
    """The ``k`` items most like ``item`` by the model's own similarity, with the reason."""
    number, recommender = await _loaded(state, name)
    result = await run_in_threadpool(recommender.similar, item, k)
    return RecommendationsPublic(
        model=store.parse_reference(name)[0],
        version=number,
        kind=result.model,
        user_id=None,
        fallback=None,
        items=[ItemPublic(**asdict(item)) for item in result.items],
    )


@router.post("/{name}/events", status_code=201)
async def record_event(
    name: Reference, body: EventCreate, request: Request, state: StateDep, key: PredictKey
) -> EventPublic:
    """Store what a user did with an item (the item must be in the model's catalogue)."""
    _, recommender = await _loaded(state, name)
    if (
        recommender.model.train is None
        or recommender.model.train.item_position(body.item_id) is None
    ):
        raise Problem(404, "not_found", f"unknown item {body.item_id[:40]!r} for {name!r}")

    def stored() -> EventPublic:
        with state.db.session() as session:
            row = store.record_event(
                session,
                model_name=store.parse_reference(name)[0],
                user_id=body.user_id,
                item_id=body.item_id,
                type=body.type,
                value=body.value,
                caller=caller_of(request, key),
            )
            return EventPublic.model_validate(row)

    return await run_in_threadpool(stored)


async def _loaded(state: Any, reference: str) -> tuple[int, Any]:
    """The version number and loaded recommender ``name[@version]`` means now."""
    name, version = store.parse_reference(reference)
    number, path = await state.versions.resolve(name, version)
    return number, await run_in_threadpool(store.CACHE.get, path, name)


def _public(session: Any, name: str) -> RecommenderPublic:
    versions = []
    for row in reversed(registry.list_versions(session, name)):
        metrics = row.metrics or {}
        versions.append(
            VersionPublic(
                version=row.version,
                stage=row.stage,
                kind=metrics.get("model"),
                train_seconds=metrics.get("train_seconds"),
                evaluation=store.evaluation_table(row),
                created_at=row.created_at,
            )
        )
    return RecommenderPublic(name=name, versions=versions)
