"""Named-entity extraction by prompting a generative model for JSON.

The model is asked for a JSON list of ``{"text", "type"}`` objects. Its answer is read
leniently — code fences, text before or after the JSON, single quotes, trailing commas,
an answer cut short, and the common shapes (a list of objects or pairs, ``{"entities":
[...]}``, ``{"person": ["Ann"]}``) — and every entity is mapped back to a character span of
the input. An answer that still cannot be read is asked again (``retries``), with the
reason; after that it is reported in :attr:`Extraction.error`, never raised.

Example:
    >>> parse_entities("```json\\n[{'text': 'Paris', 'type': 'location'}]\\n```", ["location"])
    [('Paris', 'location')]
    >>> locate_entities("Ann flew to Paris.", [("Paris", "location")])[0][0].start
    12
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from open_interpreter.errors import ConfigError, DataError
from open_interpreter.prompting.templates import PromptTemplate

DEFAULT_EXTRACTION_TEMPLATE = PromptTemplate(
    "Find the named entities in the text. Entity types: {{ types | join(', ') }}.\n"
    'Answer with a JSON list of objects with the keys "text" and "type", and nothing else.\n'
    'Example: [{"text": "Ada Lovelace", "type": "{{ types[0] }}"}]\n\n'
    "Text: {{ text }}",
    name="extract-entities",
)

_FENCE = re.compile(r"```[A-Za-z]*\s*(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_TEXT_KEYS = ("text", "entity", "name", "value", "word", "span")
_TYPE_KEYS = ("type", "label", "entity_type", "category", "tag", "class")
_CLOSE = {"[": "]", "{": "}"}


class EntityParseError(DataError):
    """A model's answer holds no readable list of entities."""


@dataclass(frozen=True)
class ExtractedEntity:
    """An entity found by the model and located in the input.

    Attributes:
        type: One of the asked-for types.
        text: The input's own characters at ``start:end``.
        start: Character offset where it begins.
        end: Character offset just after it.
    """

    type: str
    text: str
    start: int
    end: int


@dataclass
class Extraction:
    """What the model found in one text.

    Attributes:
        text: The input.
        entities: The located entities, in text order.
        answer: The model's last answer, as it wrote it.
        attempts: How many times it was asked.
        error: Why the last answer could not be read, or None.
        unmatched: Entities the model named that are not in the text, or whose type was
            not asked for, each ``{"text", "type", "reason"}``.
    """

    text: str
    entities: list[ExtractedEntity]
    answer: str
    attempts: int = 1
    error: str | None = None
    unmatched: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "entities": [asdict(e) for e in self.entities]}


def parse_entities(answer: str, types: Sequence[str]) -> list[tuple[str, str]]:
    """Read ``(entity text, type)`` pairs from a model's answer.

    Args:
        answer: The model's answer.
        types: The asked-for types (to tell ``{"person": [...]}`` from ``{"Ann": "person"}``).

    Returns:
        The pairs, in the answer's order (types as the model wrote them).

    Raises:
        EntityParseError: No JSON-like list or object can be read from the answer.
    """
    fenced = _FENCE.search(answer)
    body = fenced.group(1) if fenced else answer
    start = min((i for i in (body.find("["), body.find("{")) if i >= 0), default=-1)
    if start < 0:
        raise EntityParseError(f"no JSON list or object in the answer {_preview(answer)}")
    value = _load_lenient(_balanced_json(body[start:]), answer)
    return _pairs(value, {t.lower() for t in types})


def _balanced_json(text: str) -> str:
    """The JSON value at the start of ``text``, cut after its closing bracket.

    An answer cut short keeps its complete items only: ``[{"a": 1}, {"b"`` → ``[{"a": 1}]``.
    """
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    whole_items: str | None = None
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char in _CLOSE:
            stack.append(_CLOSE[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return text[: index + 1]
            whole_items = text[: index + 1] + "".join(reversed(stack))
    return whole_items if whole_items is not None else text


def _load_lenient(candidate: str, answer: str) -> Any:
    attempts = (
        lambda s: json.loads(s),
        lambda s: json.loads(_TRAILING_COMMA.sub(r"\1", s)),
        lambda s: ast.literal_eval(_TRAILING_COMMA.sub(r"\1", s)),
        lambda s: json.loads(_TRAILING_COMMA.sub(r"\1", s.replace("'", '"'))),
    )
    for attempt in attempts:
        try:
            return attempt(candidate)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
    raise EntityParseError(f"the answer is not valid JSON: {_preview(answer)}")


def _pairs(value: Any, types: set[str]) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        for key in ("entities", "named_entities", "result", "results"):
            if key in value:
                return _pairs(value[key], types)
        if any(str(k).lower() in types for k in value):  # {"person": ["Ann", "Bo"]}
            return [
                (str(text), str(kind))
                for kind, texts in value.items()
                for text in (texts if isinstance(texts, list) else [texts])
                if isinstance(text, (str, int, float)) and str(text).strip()
            ]
        if all(isinstance(v, str) for v in value.values()):  # {"Ann": "person"}
            return [(str(text), kind) for text, kind in value.items()]
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise EntityParseError(f"expected a list of entities, got {type(value).__name__}")
    pairs = []
    for item in value:
        pair = _pair(item)
        if pair is not None:
            pairs.append(pair)
    return pairs


def _pair(item: Any) -> tuple[str, str] | None:
    if isinstance(item, dict):
        lowered = {str(k).lower(): v for k, v in item.items()}
        text = next((lowered[k] for k in _TEXT_KEYS if k in lowered), None)
        kind = next((lowered[k] for k in _TYPE_KEYS if k in lowered), None)
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        text, kind = item
    else:
        return None
    if not isinstance(text, str) or not isinstance(kind, str) or not text.strip():
        return None
    return text.strip(), kind.strip()


def locate_entities(
    text: str, pairs: Sequence[tuple[str, str]], types: Sequence[str] | None = None
) -> tuple[list[ExtractedEntity], list[dict[str, str]]]:
    """Map ``(entity text, type)`` pairs to character spans of ``text``.

    Each entity takes the first occurrence not already taken: exact, else ignoring case,
    else ignoring case and spacing. Types are matched to ``types`` ignoring case.

    Args:
        text: The input.
        pairs: What the model named.
        types: The asked-for types (None accepts any).

    Returns:
        The located entities in text order, and the unmatched ones with a ``reason``.
    """
    canonical = {t.lower(): t for t in types} if types is not None else None
    taken: list[tuple[int, int]] = []
    found, unmatched = [], []
    for surface, kind in pairs:
        label = kind if canonical is None else canonical.get(kind.lower())
        if label is None:
            unmatched.append({"text": surface, "type": kind, "reason": "type not asked for"})
            continue
        span = _free_span(text, surface, taken)
        if span is None:
            unmatched.append({"text": surface, "type": kind, "reason": "not in the text"})
            continue
        taken.append(span)
        found.append(ExtractedEntity(label, text[span[0] : span[1]], *span))
    return sorted(found, key=lambda e: (e.start, e.end)), unmatched


def _free_span(text: str, surface: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    words = [re.escape(w) for w in surface.split()]
    patterns = [
        re.compile(re.escape(surface)),
        re.compile(re.escape(surface), re.IGNORECASE),
        re.compile(r"\s+".join(words), re.IGNORECASE),
    ]
    for pattern in patterns:
        for match in pattern.finditer(text):
            span = match.span()
            if all(span[1] <= a or span[0] >= b for a, b in taken):
                return span
    return None


def extract_entities(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    types: Sequence[str],
    *,
    template: PromptTemplate | None = None,
    retries: int = 1,
    max_new_tokens: int = 128,
) -> list[Extraction]:
    """Ask a generative model for the entities of each text, as JSON, and locate them.

    Args:
        model: A causal LM (a chat model works best).
        tokenizer: Its tokenizer.
        texts: The inputs.
        types: The entity types to look for, e.g. ``["person", "location"]``.
        template: The request (default :data:`DEFAULT_EXTRACTION_TEMPLATE`); it gets
            ``{{ text }}`` and ``{{ types }}``.
        retries: How many times an unreadable answer is asked again.
        max_new_tokens: Longest answer.

    Returns:
        One :class:`Extraction` per text; unreadable answers have ``error`` set.

    Raises:
        ConfigError: No types, or a negative ``retries``.
        TemplateError: The template uses other variables than ``text`` and ``types``.
    """
    from open_interpreter.config import GenerationSettings
    from open_interpreter.generation import generate

    if not types or retries < 0:
        raise ConfigError(
            f"need at least one entity type and retries >= 0, got {types=}, {retries=}"
        )
    template = template or DEFAULT_EXTRACTION_TEMPLATE
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=0.0)
    conversations = [
        template.messages({"text": t, "types": list(types)}, optional=["types"]) for t in texts
    ]
    results: list[Extraction | None] = [None] * len(texts)
    pending = list(range(len(texts)))
    for attempt in range(1, retries + 2):
        answers = generate(model, tokenizer, [conversations[i] for i in pending], settings)
        still = []
        for index, answer in zip(pending, answers, strict=True):
            results[index] = _read(texts[index], answer, types, attempt)
            if results[index].error is not None and attempt <= retries:
                conversations[index] = [
                    *conversations[index],
                    *_retry_turns(answer, results[index]),
                ]
                still.append(index)
        if not still:
            break
        pending = still
    return [r for r in results if r is not None]


def _read(text: str, answer: str, types: Sequence[str], attempt: int) -> Extraction:
    try:
        pairs = parse_entities(answer, types)
    except EntityParseError as exc:
        return Extraction(text, [], answer, attempt, error=str(exc))
    entities, unmatched = locate_entities(text, pairs, types)
    return Extraction(text, entities, answer, attempt, unmatched=unmatched)


def _retry_turns(answer: str, failed: Extraction) -> list[dict[str, str]]:
    return [
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": f"That could not be read ({failed.error}). Answer again with only the "
            'JSON list, e.g. [{"text": "...", "type": "..."}].',
        },
    ]


def _preview(answer: str, width: int = 60) -> str:
    flat = " ".join(answer.split())
    return repr(flat if len(flat) <= width else flat[:width] + "...")
