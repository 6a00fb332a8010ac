"""Prompt templates with named variables (Jinja2), checked before anything runs.

A :class:`PromptTemplate` is a user message (and optionally a system message) written in
Jinja2: ``"Topic of this article: {{ text }}"``. Its variables are read from the template
itself, so a value that is missing, or one that the template never uses (a typo such as
``txt=``), is a :class:`TemplateError` raised before a model is touched. Templates render
in a sandbox with strict undefined variables: a template from a shared library cannot
reach Python internals, and cannot build more than ``max_chars`` characters or run for
more than ``max_seconds`` (see :mod:`open_interpreter.prompting.limits`).

A rendered template becomes what a model reads with :func:`conversation_text`: through
the tokenizer's chat template when it has one, as plain text otherwise.

Example:
    >>> template = PromptTemplate("Is this review positive or negative?\\n{{ text }}")
    >>> template.render({"text": "Loved it."})
    'Is this review positive or negative?\\nLoved it.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from open_interpreter.errors import ConfigError


class TemplateError(ConfigError):
    """A prompt template is malformed, or the values given do not match its variables.

    Args:
        message: What is wrong.
        missing: Variables the template uses that were not given.
        unknown: Values given that the template never uses.
    """

    def __init__(self, message: str, *, missing: Iterable[str] = (), unknown: Iterable[str] = ()):
        self.missing = sorted(missing)
        self.unknown = sorted(unknown)
        super().__init__(message)


@cache
def _environment() -> Any:
    from jinja2 import StrictUndefined

    from open_interpreter.prompting.limits import LimitedSandbox

    return LimitedSandbox(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt with named variables: a user message and an optional system message.

    Attributes:
        text: The user message, in Jinja2 (``{{ text }}``, ``{{ labels | join(", ") }}``).
        system: A system message, in Jinja2 too, or None to keep the model's default.
        name: What the template is called in libraries, tables and error messages.
    """

    text: str
    system: str | None = None
    name: str = field(default="prompt", compare=False)

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise TemplateError(f"template {self.name!r} is empty")
        self.variables  # noqa: B018 - parse now: a syntax error is reported on creation

    @property
    def variables(self) -> frozenset[str]:
        """The names the template uses (its loop variables excluded)."""
        return _variables(self.text, self.name) | (
            _variables(self.system, self.name) if self.system else frozenset()
        )

    def check(self, values: Iterable[str], *, optional: Iterable[str] = ()) -> None:
        """Raise unless ``values`` gives every variable and only variables the template uses.

        Args:
            values: The names of the values that will be given.
            optional: Names that may be given although the template does not use them
                (what a caller always offers, such as ``labels``).

        Raises:
            TemplateError: Naming the missing and the unknown variables.
        """
        given = set(values)
        missing = self.variables - given
        unknown = given - self.variables - set(optional)
        if not missing and not unknown:
            return
        problems = []
        if missing:
            problems.append(f"no value for {_names(missing)}")
        if unknown:
            problems.append(f"{_names(unknown)} given but not used")
        uses = _names(self.variables) or "no variables"
        raise TemplateError(
            f"template {self.name!r} ({uses}): {'; '.join(problems)}",
            missing=missing,
            unknown=unknown,
        )

    def render(
        self,
        values: Mapping[str, Any],
        *,
        optional: Iterable[str] = (),
        max_chars: int | None = None,
        max_seconds: float | None = None,
    ) -> str:
        """Render the user message.

        Args:
            values: A value for every variable.
            optional: Names in ``values`` the template may leave unused.
            max_chars: The most characters the output, or any value the template builds,
                may have (None: ``limits.MAX_CHARS``, 100,000).
            max_seconds: The longest the render may run (None: ``limits.MAX_SECONDS``, 1 s).

        Returns:
            The rendered text.

        Raises:
            TemplateError: A variable is missing or unknown, rendering failed, or it passed
                ``max_chars`` or ``max_seconds``.
        """
        self.check(values, optional=optional)
        return _render(self.text, values, self.name, max_chars, max_seconds)

    def messages(
        self,
        values: Mapping[str, Any],
        *,
        optional: Iterable[str] = (),
        max_chars: int | None = None,
        max_seconds: float | None = None,
    ) -> list[dict[str, str]]:
        """Render the template as chat messages: the system message (if any), then the user's.

        Each message is rendered within ``max_chars`` and ``max_seconds`` (see :meth:`render`).

        Raises:
            TemplateError: A variable is missing or unknown, rendering failed, or it passed
                a limit.
        """
        limits = {"max_chars": max_chars, "max_seconds": max_seconds}
        user = self.render(values, optional=optional, **limits)
        if self.system is None:
            return [{"role": "user", "content": user}]
        return [
            {"role": "system", "content": _render(self.system, values, self.name, **limits)},
            {"role": "user", "content": user},
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"name", "text", "system"}``."""
        return {"name": self.name, "text": self.text, "system": self.system}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "prompt") -> PromptTemplate:
        """Build a template from ``{"text", "system"?, "name"?}`` (a YAML or JSON mapping).

        Raises:
            TemplateError: ``text`` is missing, or a key is unknown.
        """
        unknown = sorted(set(data) - {"text", "system", "name"})
        if "text" not in data or unknown:
            raise TemplateError(
                f"template {name!r} needs a 'text' (and optionally 'system'), got keys "
                f"{sorted(data)}"
            )
        return cls(str(data["text"]), data.get("system"), str(data.get("name") or name))

    @classmethod
    def from_file(cls, path: str | Path) -> PromptTemplate:
        """Read a template: YAML/JSON with ``text`` and ``system``, or any other file as text.

        Raises:
            TemplateError: The file is missing or is not a template.
        """
        import yaml

        path = Path(path)
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(f"cannot read template file {path}: {exc.strerror}") from None
        if path.suffix.lower() in (".yaml", ".yml", ".json"):
            data = yaml.safe_load(content)
            if not isinstance(data, dict):
                raise TemplateError(f"{path} must hold a mapping with 'text', got {data!r}")
            return cls.from_dict(data, name=path.stem)
        return cls(content, name=path.stem)


def conversation_text(
    tokenizer: Any,
    turns: Sequence[tuple[str, str | None]],
    *,
    system: str | None = None,
    chat: bool | None = None,
) -> str:
    """Write user turns (and the answers given to all but the last) as the text a model continues.

    With a chat template (``chat=None``: when the tokenizer has one) the turns become a
    conversation ending in the assistant's opening; without, they are joined as plain
    text: each question followed by its answer, a blank line between examples.

    Args:
        tokenizer: The model's tokenizer.
        turns: ``(user message, answer)`` pairs; the last one's answer is None.
        system: A system message, or None for the model's default.
        chat: Whether to use the chat template (None: when there is one).

    Returns:
        The text, ending where the model's answer begins.

    Raises:
        DataError: The chat template rejects the conversation.
    """
    from open_interpreter.data.chat_encoding import render_chat

    use_chat = chat if chat is not None else bool(getattr(tokenizer, "chat_template", None))
    if use_chat:
        messages = [{"role": "system", "content": system}] if system else []
        for user, answer in turns:
            messages.append({"role": "user", "content": user})
            if answer is not None:
                messages.append({"role": "assistant", "content": answer})
        return render_chat(tokenizer, messages, add_generation_prompt=True)
    parts = [system] if system else []
    parts += [user if answer is None else user + joiner(user) + answer for user, answer in turns]
    return "\n\n".join(parts)


def joiner(prefix: str) -> str:
    """What goes between a prompt and its answer: nothing after whitespace, else a space."""
    return "" if not prefix or prefix[-1].isspace() else " "


def _variables(source: str, name: str) -> frozenset[str]:
    from jinja2 import TemplateSyntaxError

    try:
        return _parsed_variables(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {name!r}, line {exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise TemplateError(f"template {name!r} is nested too deeply to parse") from None


@lru_cache(maxsize=256)  # bounded: templates also arrive from API clients
def _parsed_variables(source: str) -> frozenset[str]:
    from jinja2 import meta

    return frozenset(meta.find_undeclared_variables(_environment().parse(source)))


def _render(
    source: str,
    values: Mapping[str, Any],
    name: str,
    max_chars: int | None,
    max_seconds: float | None,
) -> str:
    from open_interpreter.prompting import limits

    max_chars = limits.MAX_CHARS if max_chars is None else max_chars
    max_seconds = limits.MAX_SECONDS if max_seconds is None else max_seconds
    try:
        template = _environment().from_string(source)
        return limits.render(template, values, max_chars=max_chars, max_seconds=max_seconds)
    except limits.LimitExceeded as exc:
        raise TemplateError(f"template {name!r}: {exc}") from None
    except Exception as exc:  # a template is its author's code: {{ 1 / 0 }} is its error too
        raise TemplateError(f"template {name!r} could not be rendered: {exc}") from None


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"{{{{ {n} }}}}" for n in sorted(names))
