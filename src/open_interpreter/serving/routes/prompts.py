"""``/v1/prompts``: the prompt library (list, get, versions, diff, save, delete; kept in the
server's database), rendering a template on inputs (and answering with a model), and
running a prompt evaluation.

Templates that do not parse or whose variables do not match the inputs are 422
``invalid_template`` (with ``missing`` and ``unknown``); unknown prompts or versions are
404 ``prompt_not_found``; models the server does not serve 404 ``not_found``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from open_interpreter.errors import NotFoundError
from open_interpreter.prompting import (
    PromptLibrary,
    PromptTemplate,
    TemplateError,
    evaluate_prompts,
)
from open_interpreter.services import datasets
from open_interpreter.services import prompts as service
from open_interpreter.services.callers import Caller
from open_interpreter.services.names import NAME_PATTERN
from open_interpreter.serving.deps import (
    PageDep,
    PredictKey,
    SessionDep,
    StateDep,
    TrainCaller,
    TrainKey,
)
from open_interpreter.serving.model_cache import find_named, load_named
from open_interpreter.serving.problems import Problem
from open_interpreter.serving.prompt_schemas import (
    RESERVED_NAMES,
    PromptCreate,
    PromptDiff,
    PromptEvaluateRequest,
    PromptPublic,
    PromptRenderRequest,
    PromptRenderResponse,
    PromptsPublic,
    PromptVersionPublic,
    RenderedPrompt,
)
from open_interpreter.storage import artifacts


class _PromptName(StringConvertor):
    # Not "render" or "evaluate": GET /v1/prompts/render must answer 405 (a POST route is
    # there, as the dashboard probes), not 404 from looking up a prompt called "render".
    regex = rf"(?!(?:{'|'.join(RESERVED_NAMES)})$)[^/]+"


register_url_convertor("prompt_name", _PromptName())

router = APIRouter(prefix="/prompts", tags=["prompts"])

PromptName = Annotated[str, Path(pattern=NAME_PATTERN, description="The prompt's name.")]
Version = Annotated[int, Path(ge=1, le=1_000_000_000)]

DiffVersion = Annotated[int | None, Query(ge=1, le=1_000_000_000)]


def _library(state: StateDep) -> PromptLibrary:
    """The server's prompt library: in its database."""
    return service.database_library(state.db)


Library = Annotated[PromptLibrary, Depends(_library)]


@contextmanager
def _prompt_problems() -> Iterator[None]:
    """Template and library errors as problems with codes of their own."""
    try:
        yield
    except TemplateError as exc:
        extra = {"missing": exc.missing, "unknown": exc.unknown}
        raise Problem(422, "invalid_template", str(exc), **extra) from None
    except NotFoundError as exc:
        raise Problem(404, "prompt_not_found", str(exc)) from None


@router.get("")
def list_prompts(library: Library, _key: PredictKey, page: PageDep) -> PromptsPublic:
    """The latest version of each prompt, by name."""
    names = library.store.names()
    shown = [library.get(name) for name in names[page.offset : page.offset + page.limit]]
    return PromptsPublic(data=[PromptVersionPublic.from_saved(p) for p in shown], count=len(names))


@router.post(
    "",
    status_code=201,
    responses={200: {"description": "The template equals the latest version: that one."}},
)
def save_prompt(
    body: PromptCreate, response: Response, library: Library, _key: TrainKey
) -> PromptVersionPublic:
    """Save a template as the next version of its name (201); the same template as the
    latest version is not saved again (200, that version)."""
    with _prompt_problems():
        template = PromptTemplate(body.text, body.system, name=body.name)
    before = library.store.versions(body.name)
    saved = library.save(body.name, template, body.description)
    if saved.version in before:
        response.status_code = 200
    return PromptVersionPublic.from_saved(saved)


@router.post("/render")
async def render_prompts(
    body: PromptRenderRequest,
    state: StateDep,
    session: SessionDep,
    library: Library,
    _key: PredictKey,
) -> PromptRenderResponse:
    """Render the template on every input; with ``model``, answer each rendered prompt too
    (one batch, on the model's thread)."""
    limit = state.settings.max_texts_per_request
    if len(body.inputs) > limit:
        raise Problem(413, "too_large", f"at most {limit} inputs per request")
    with _prompt_problems():
        template = await run_in_threadpool(
            service.request_template,
            library,
            prompt=body.prompt,
            template=body.template,
            system=body.system,
        )
        conversations = await run_in_threadpool(service.render_inputs, template, body.inputs)
    outputs: list[str | None] = [None] * len(conversations)
    if body.model is not None:
        loaded = await load_named(state.cache, state.settings, session, body.model)
        options = {} if body.max_new_tokens is None else {"max_new_tokens": body.max_new_tokens}
        outputs = await loaded.batcher.run(lambda it: it.generate(conversations, **options))
    results = [
        RenderedPrompt(
            system=messages[0]["content"] if len(messages) == 2 else None,
            prompt=messages[-1]["content"],
            output=output,
        )
        for messages, output in zip(conversations, outputs, strict=True)
    ]
    return PromptRenderResponse(
        variables=sorted(template.variables), model=body.model, results=results
    )


@router.post("/evaluate")
async def evaluate(
    body: PromptEvaluateRequest,
    state: StateDep,
    session: SessionDep,
    library: Library,
    caller: TrainCaller,
) -> dict[str, Any]:
    """Run a prompt evaluation now and answer its table (``PromptEvalTable.to_dict()``):
    rows best first, with 95% bootstrap intervals, and the measured effects.

    Its size is bounded (``OI_MAX_PROMPT_EVAL_EXAMPLES``, ``OI_MAX_PROMPT_EVAL_RUNS``):
    422 ``evaluation_too_large`` beyond. The language model runs on its cached copy's
    thread, so the evaluation waits behind (and holds up) that model's other requests.
    """
    config = service.eval_config(body.config)
    settings = state.settings
    too_large = service.size_problem(
        config,
        max_examples=settings.max_prompt_eval_examples,
        max_runs=settings.max_prompt_eval_runs,
    )
    if too_large:
        raise Problem(422, "evaluation_too_large", too_large)
    data, encoder = config.data, config.encoder
    if data.startswith(service.DATASET_PREFIX):
        path = await run_in_threadpool(_dataset_file, session, data, caller)
        config = config.model_copy(update={"data": path})
    if service.uses_encoder(config):  # the encoder by the server's rules for a client's name
        source = await find_named(state.settings, session, encoder)
        config = config.model_copy(update={"encoder": str(source.path)})
    with _prompt_problems():
        await run_in_threadpool(service.check_templates, config, library)
    if service.uses_language_model(config):
        loaded = await load_named(state.cache, state.settings, session, config.model)
        with _prompt_problems():
            table = await loaded.batcher.run(partial(service.evaluate_with, config, library))
    else:
        with _prompt_problems():
            table = await run_in_threadpool(partial(evaluate_prompts, config, library=library))
    answer = table.to_dict()
    answer["settings"]["data"] = data  # the client's words, not the server's files
    if "encoder" in answer["settings"]:
        answer["settings"]["encoder"] = encoder
    return answer


@router.get("/{name:prompt_name}")
def get_prompt(name: PromptName, library: Library, _key: PredictKey) -> PromptPublic:
    """A prompt's latest version, with every version's number, date and description."""
    with _prompt_problems():
        return PromptPublic.from_library(library, name)


@router.get("/{name:prompt_name}/versions/{version}")
def get_prompt_version(
    name: PromptName, version: Version, library: Library, _key: PredictKey
) -> PromptVersionPublic:
    """One version of a prompt."""
    with _prompt_problems():
        return PromptVersionPublic.from_saved(library.get(name, version))


@router.get("/{name:prompt_name}/diff")
def diff_prompt(
    name: PromptName,
    library: Library,
    _key: PredictKey,
    old: DiffVersion = None,
    new: DiffVersion = None,
) -> PromptDiff:
    """A unified diff from version ``old`` to ``new`` (default: the latest, and the
    version before ``new``)."""
    with _prompt_problems():
        new = new if new is not None else library.get(name).version
        old = old if old is not None else service.previous_version(library, name, new)
        text = library.diff(f"{name}@{old}", f"{name}@{new}")
    return PromptDiff(name=name, old=old, new=new, diff=text)


@router.delete("/{name:prompt_name}", status_code=204)
def delete_prompt(name: PromptName, library: Library, _key: TrainKey) -> None:
    """Delete a prompt and every version of it."""
    with _prompt_problems():
        library.delete(name)


def _dataset_file(session: SessionDep, data: str, caller: Caller) -> str:
    """The stored file of dataset ``data``; the session's connection is given back here,
    in this thread (see :func:`~open_interpreter.serving.model_cache.find_named`)."""
    dataset_id = data.removeprefix(service.DATASET_PREFIX)
    try:
        row = datasets.get_dataset(session, dataset_id, caller=caller)
    finally:
        session.close()
    if row is None:
        raise Problem(404, "not_found", f"no dataset {dataset_id!r}")
    return str(artifacts.resolve(row.path))
