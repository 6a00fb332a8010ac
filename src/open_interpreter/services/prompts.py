"""Prompts service: the library (in the database: :func:`database_library`), rendering
inputs, and checking an evaluation sent by a client before anything heavy runs.

An evaluation from a client may only read data the server chose to offer (a packaged data
set, or a dataset uploaded through ``/v1/datasets``) and name models, never paths; its size
is bounded so that one request cannot hold a model for an hour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from open_interpreter.data.packaged import PACKAGE_PREFIX
from open_interpreter.errors import ConfigError, ModelStateError, NotFoundError
from open_interpreter.prompting import (
    PromptEvalConfig,
    PromptEvalTable,
    PromptLibrary,
    PromptTemplate,
    TemplateError,
    evaluate_prompts,
)
from open_interpreter.prompting.eval_config import LIBRARY_PREFIX
from open_interpreter.services.names import MODEL_PATTERN
from open_interpreter.services.prompt_store import DatabasePromptStore
from open_interpreter.storage import Database

DATASET_PREFIX = "dataset:"
MAX_RESAMPLES = 10_000
LM_STRATEGIES = ("zero-shot", "few-shot")


def database_library(db: Database) -> PromptLibrary:
    """The server's library: versions as rows of ``prompt_versions`` in ``db``."""
    return PromptLibrary(DatabasePromptStore(db))


def previous_version(library: PromptLibrary, name: str, version: int) -> int:
    """The version of ``name`` saved before ``version``.

    Raises:
        NotFoundError: There is none (``version`` is the first).
    """
    earlier = [v for v in library.store.versions(name) if v < version]
    if not earlier:
        raise NotFoundError(f"prompt {name!r} has no version before {version}: nothing to diff")
    return earlier[-1]


def request_template(
    library: PromptLibrary,
    *,
    prompt: str | None = None,
    template: str | None = None,
    system: str | None = None,
) -> PromptTemplate:
    """The saved template ``prompt`` names (``NAME`` or ``NAME@VERSION``), else the one
    ``template`` and ``system`` give.

    Raises:
        TemplateError: The template does not parse.
        NotFoundError: No such saved prompt or version.

    Example:
        >>> template = request_template(library, prompt="topic@2")  # doctest: +SKIP
    """
    if prompt is not None:
        return library.get(prompt).template
    return PromptTemplate(template or "", system)


def render_inputs(
    template: PromptTemplate, inputs: Sequence[Mapping[str, Any]]
) -> list[list[dict[str, str]]]:
    """Each input's chat messages (the system message, if any, then the user's).

    Raises:
        TemplateError: An input misses a variable or gives one the template does not use,
            or rendering failed; the message starts with ``inputs[i]``.
    """
    conversations = []
    for index, values in enumerate(inputs):
        try:
            conversations.append(template.messages(values))
        except TemplateError as exc:
            raise TemplateError(
                f"inputs[{index}]: {exc}", missing=exc.missing, unknown=exc.unknown
            ) from None
    return conversations


def eval_config(values: dict[str, Any]) -> PromptEvalConfig:
    """Validate an evaluation's settings as a client may give them.

    Raises:
        ConfigError: A setting is invalid, ``data`` is not ``package:NAME`` or
            ``dataset:ID``, a model is not named by its name, or ``num_threads`` is set.
    """
    config = PromptEvalConfig.build(values)
    if not config.data.startswith((PACKAGE_PREFIX, DATASET_PREFIX)):
        raise ConfigError(
            f"data must be package:NAME or dataset:ID (upload a file with POST /v1/datasets), "
            f"got {config.data!r}"
        )
    for field in ("model", "encoder"):
        if not re.fullmatch(MODEL_PATTERN, getattr(config, field)):
            raise ConfigError(f"{field} must be a model's name, got {getattr(config, field)!r}")
    if config.num_threads is not None:
        raise ConfigError("num_threads is not taken over the API: the server sets its threads")
    return config


def size_problem(config: PromptEvalConfig, *, max_examples: int, max_runs: int) -> str | None:
    """What makes ``config`` too big to run in one request, or None when it fits."""
    for field in ("dev_size", "pool_size"):
        size = getattr(config, field)
        if size is None or size > max_examples:
            return f"{field} must be at most {max_examples} over the API, got {size}"
    runs = len(config.expanded_runs())
    if runs > max_runs:
        return f"at most {max_runs} runs (after expanding lists) over the API, got {runs}"
    if config.resamples > MAX_RESAMPLES:
        return f"resamples must be at most {MAX_RESAMPLES}, got {config.resamples}"
    return None


def check_templates(config: PromptEvalConfig, library: PromptLibrary) -> None:
    """Parse the config's templates and find its library ones, before any model loads.

    Raises:
        TemplateError: A template does not parse.
        NotFoundError: A ``library:`` template does not exist.
    """
    for name, value in config.templates.items():
        if isinstance(value, str):
            PromptTemplate(value, name=name)
        else:
            PromptTemplate.from_dict(value, name=name)
    for run in config.expanded_runs():
        if run.template and run.template.startswith(LIBRARY_PREFIX):
            library.get(run.template.removeprefix(LIBRARY_PREFIX))


def uses_language_model(config: PromptEvalConfig) -> bool:
    """Whether any run scores with the language model (else none is loaded)."""
    return any(run.strategy in LM_STRATEGIES for run in config.expanded_runs())


def uses_encoder(config: PromptEvalConfig) -> bool:
    """Whether any run needs the sentence encoder (embedding zero-shot, or nearest-neighbour
    demonstrations)."""
    return any(
        run.strategy == "embedding" or run.selection == "nearest" for run in config.expanded_runs()
    )


def evaluate_with(
    config: PromptEvalConfig, library: PromptLibrary, interpreter: Any
) -> PromptEvalTable:
    """Run the evaluation with an interpreter's loaded model (on that model's thread), its
    ``library:`` templates from ``library``.

    Raises:
        ModelStateError: The model is not a decoder-only language model.
    """
    from open_interpreter.prompting.api import is_language_model

    interpreter.load_language_model()
    if not is_language_model(interpreter.model):
        raise ModelStateError(f"{config.model} is not a decoder-only language model")
    model = (interpreter.model, interpreter.tokenizer)
    return evaluate_prompts(config, language_model=model, library=library)
