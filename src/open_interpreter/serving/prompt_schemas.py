"""Request and response bodies of ``/v1/prompts``: the prompt library, rendering, evaluation.

Kept beside :mod:`open_interpreter.serving.schemas` (same conventions) so that neither
module grows past a few hundred lines.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from open_interpreter.prompting.library import PromptLibrary, SavedPrompt
from open_interpreter.services.names import MODEL_PATTERN, NAME_PATTERN
from open_interpreter.serving.schemas import Page

RESERVED_NAMES = ("render", "evaluate")
"""``/v1/prompts/render`` and ``/v1/prompts/evaluate`` are routes, so no prompt is called so."""

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[1-9][0-9]{0,8})?$"
TEXT_LIMIT = 100_000


class PromptCreate(BaseModel):
    """A template to save as the next version of ``name`` (unless it equals the latest)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=NAME_PATTERN, description="Library name: letters, digits, '.', '_' and '-'."
    )
    text: str = Field(
        min_length=1, max_length=TEXT_LIMIT, description="The user message, in Jinja2."
    )
    system: str | None = Field(
        None, max_length=TEXT_LIMIT, description="A system message, in Jinja2 too."
    )
    description: str = Field("", max_length=1000, description="What it is for, in a line.")

    @field_validator("name")
    @classmethod
    def _not_a_route(cls, name: str) -> str:
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved: /v1/prompts/{name} is a route")
        return name

    @field_validator("text", "system", "description")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL cannot store a NUL in text; refused on SQLite too, so both agree
        nul = "\x00"
        if value is not None and nul in value:
            raise ValueError(f"a NUL character cannot be saved, got one at {value.index(nul)}")
        return value


class PromptVersionPublic(BaseModel):
    """One saved version of a template."""

    name: str
    version: int
    reference: str = Field(description="NAME@VERSION, as `prompt` and evaluation configs take.")
    text: str
    system: str | None
    description: str
    created: str = Field(description="When it was saved (ISO 8601, UTC).")
    variables: list[str] = Field(description="The names the template uses.")

    @classmethod
    def from_saved(cls, saved: SavedPrompt) -> PromptVersionPublic:
        """The public view of a library version."""
        return cls(
            name=saved.name,
            version=saved.version,
            reference=saved.reference,
            text=saved.template.text,
            system=saved.template.system,
            description=saved.description,
            created=saved.created,
            variables=sorted(saved.template.variables),
        )


class PromptVersionSummary(BaseModel):
    """A version in a prompt's history."""

    version: int
    created: str
    description: str


class PromptPublic(PromptVersionPublic):
    """A prompt's latest version, and every version, oldest first."""

    versions: list[PromptVersionSummary]

    @classmethod
    def from_library(cls, library: PromptLibrary, name: str) -> PromptPublic:
        """The latest version of ``name`` with its history.

        Raises:
            NotFoundError: No prompt of that name.
        """
        latest = library.get(name)
        history = [
            PromptVersionSummary(version=p.version, created=p.created, description=p.description)
            for p in library.history(name)
        ]
        return cls(**PromptVersionPublic.from_saved(latest).model_dump(), versions=history)


class PromptsPublic(Page):
    """The latest version of each prompt, by name."""

    data: list[PromptVersionPublic]


class PromptDiff(BaseModel):
    """A unified diff between two versions of a prompt (empty when they are the same)."""

    name: str
    old: int
    new: int
    diff: str


class PromptRenderRequest(BaseModel):
    """A template (or a saved one) to render on some inputs, and optionally a model to run."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(
        None, min_length=1, max_length=TEXT_LIMIT, description="The user message, in Jinja2."
    )
    system: str | None = Field(
        None, max_length=TEXT_LIMIT, description="A system message for `template`, in Jinja2."
    )
    prompt: str | None = Field(
        None,
        pattern=REFERENCE_PATTERN,
        description="A library template instead of `template`: NAME (latest) or NAME@VERSION.",
    )
    inputs: list[dict[str, Any]] = Field(
        min_length=1, description='The variables of each prompt: [{"text": "..."}, ...].'
    )
    model: str | None = Field(
        None,
        pattern=MODEL_PATTERN,
        description="A registered or pretrained generative model to answer each prompt.",
    )
    max_new_tokens: int | None = Field(
        None, ge=1, le=2048, description="Most tokens of each answer (default: the model's)."
    )

    @model_validator(mode="after")
    def _one_template(self) -> PromptRenderRequest:
        if (self.template is None) == (self.prompt is None):
            raise ValueError("give exactly one of template or prompt")
        if self.system is not None and self.template is None:
            raise ValueError("system goes with template; a saved prompt has its own")
        return self


class RenderedPrompt(BaseModel):
    """One input's rendered messages and, with a model, its answer."""

    system: str | None
    prompt: str = Field(description="The rendered user message.")
    output: str | None = Field(description="The model's answer (null without a model).")


class PromptRenderResponse(BaseModel):
    """Every input rendered, in order."""

    variables: list[str]
    model: str | None
    results: list[RenderedPrompt]


class PromptEvaluateRequest(BaseModel):
    """A prompt evaluation to run now: the settings of ``examples/prompts/*.yaml``."""

    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(
        description="PromptEvalConfig fields; `data` is package:NAME or dataset:ID (an upload)."
    )
