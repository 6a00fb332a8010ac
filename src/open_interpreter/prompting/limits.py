"""Bounds on what a prompt template may build: output size, render time, ranges and numbers.

Templates come from users and from a shared library, and a one-line template can ask for
gigabytes (``{{ text * 20000000 }}``) or for hours (``{% for i in range(10**9) %}``).
:class:`LimitedSandbox` refuses such work before it is done, and :func:`render` streams
the output, stopping once it passes ``max_chars`` or the render runs past ``max_seconds``.

Every value the template builds is held to ``max_chars``: results of ``*``, ``+``, ``%``,
``~``, filters, method calls, macros, ``{% set %}`` blocks and list or dict literals. The
operations that can grow a value many times in one step (repetition, ``replace``,
``join``, padding widths, format widths) are estimated first and refused before they
run. The clock is read at every loop iteration, call, filter, operator and output chunk,
so a render stops within about one cheap step of its deadline; no signal or thread is
used, so this works in a server's worker threads too.

A limit that is passed raises :class:`LimitExceeded`; ``templates`` turns it into a
``TemplateError`` that names the template.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment

# A prompt is read by a model whose context holds a few thousand to ~100k tokens; 100,000
# characters (~25k tokens) is generous for any prompt, few-shot ones with hundreds of
# demonstrations included, and small enough that building it costs well under a second.
MAX_CHARS = 100_000
# A shipped template renders in about a millisecond (compiling included), a few-shot prompt
# of 300 demonstrations in a few; a second is hundreds of times that, yet short enough that
# one hostile template does not hold a server worker.
MAX_SECONDS = 1.0
# Jinja's own cap is 100,000; a prompt never needs more than 10,000 numbered items.
MAX_RANGE = 10_000
# Python itself refuses to print an int of more than 4,300 digits (sys.int_info).
MAX_DIGITS = 4_300
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))
_LOOP_GUARD = "oi_limited_loop"


class LimitExceeded(Exception):
    """A template passed one of its limits; the message names the limit and its value."""


@dataclass(frozen=True)
class _Budget:
    max_chars: int
    max_seconds: float
    deadline: float

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"the template ran for more than {self.max_seconds:g} s")

    def check(self, size: int, what: str = "a value of") -> None:
        if size > self.max_chars:
            raise LimitExceeded(
                f"the template built {what} more than {self.max_chars:,} characters"
            )


_UNBOUNDED = _Budget(MAX_CHARS, math.inf, math.inf)
_budget: ContextVar[_Budget] = ContextVar("template_budget", default=_UNBOUNDED)


def render(template: Any, values: Mapping[str, Any], *, max_chars: int, max_seconds: float) -> str:
    """Render a compiled template of a :class:`LimitedSandbox` within its limits.

    Args:
        template: A ``jinja2.Template`` from ``LimitedSandbox.from_string``.
        values: The template's variables.
        max_chars: The most characters the output (and any value built) may have.
        max_seconds: The longest the render may run.

    Returns:
        The rendered text.

    Raises:
        LimitExceeded: The output or a value passed ``max_chars``, or time ran out.
    """
    budget = _Budget(max_chars, max_seconds, time.monotonic() + max_seconds)
    token = _budget.set(budget)
    try:
        parts, size = [], 0
        for chunk in template.generate(**values):
            size += len(chunk)
            if size > max_chars:
                raise LimitExceeded(f"the template's output passed {max_chars:,} characters")
            budget.tick()
            parts.append(chunk)
        return "".join(parts)
    finally:
        _budget.reset(token)


def _size(value: Any, limit: int) -> int:
    """Characters in ``value``, containers counted item by item, counting no further than
    just past ``limit`` (shared sublists, ``[a, a]``, would otherwise count for ever)."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            total += len(item)
            if total <= limit:
                stack.extend(item.items() if isinstance(item, dict) else item)
    return total


def _limited(value: Any) -> Any:
    budget = _budget.get()
    budget.check(_size(value, budget.max_chars))
    return value


def _limited_range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise LimitExceeded(f"range() is limited to {MAX_RANGE:,} items, got {len(items):,}")
    return items


def _limited_loop(items: Iterable[Any]) -> Iterator[Any]:
    budget = _budget.get()
    for item in items:
        budget.tick()
        yield item


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")


def _format_width(fmt: str, args: Any) -> int:
    """The widest width or precision a format string (printf or ``str.format``) asks for."""
    printf = [n for m in _PRINTF.finditer(fmt) for n in m.groups() if n]
    numbers = [int(n) for n in printf if n != "*"]
    numbers += [int(n) for spec in _FORMAT_SPEC.findall(fmt) for n in re.findall(r"\d+", spec)]
    if "*" in printf or _NESTED_SPEC.search(fmt):  # a width is one of the arguments
        given = args.values() if isinstance(args, Mapping) else args
        given = given if isinstance(given, (tuple, list)) else [given]
        numbers += [abs(a) for a in given if isinstance(a, int)]
    return max(numbers, default=0)


def _formatted(fmt: str, args: Any, limit: int) -> int:
    return len(fmt) + _size(args, limit) + _format_width(fmt, args)


def _binop_size(operator: str, left: Any, right: Any, limit: int) -> int:
    if operator == "*":
        if isinstance(left, int) and not isinstance(right, int):
            left, right = right, left
        if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, int):
            return _size(left, limit) * max(right, 0)
    elif operator == "+":
        return _size(left, limit) + _size(right, limit)
    elif operator == "%" and isinstance(left, str):
        return _formatted(left, right, limit)
    return 0


def _binop_bits(operator: str, left: Any, right: Any) -> int:
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0
    if operator == "*":
        return left.bit_length() + right.bit_length()
    if operator == "**" and right > 0 and abs(left) > 1:
        return math.ceil(math.log2(abs(left)) * right)
    return 0


def _joined(separator: Any, items: list[Any], limit: int) -> int:
    return _size(items, limit) + max(len(items) - 1, 0) * len(str(separator))


def _replaced(text: Any, old: Any, new: Any, count: Any = None, *_: Any) -> int:
    text, old, new = str(text), str(old), str(new)
    found = text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _padded(text: Any, width: Any = 80, *_: Any, **__: Any) -> int:
    return max(len(str(text)), width if isinstance(width, int) else 0)


def _indented(s: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    step = width if isinstance(width, int) else len(str(width))
    return len(str(s)) + (str(s).count("\n") + 1) * max(step, 0)


def _tabbed(text: Any, tabsize: Any = 8) -> int:
    return len(str(text)) + str(text).count("\t") * max(tabsize, 0)


def _wrapped(s: Any, width: Any = 79, *rest: Any, wrapstring: Any = None, **__: Any) -> int:
    if len(rest) > 1:  # (break_long_words, wrapstring, ...) given by position
        wrapstring = rest[1]
    s = str(s)
    lines = 2 * len(s) // max(width if isinstance(width, int) else 1, 1) + s.count("\n") + 1
    return len(s) + lines * len(str(wrapstring or "\n"))


def _batched(_value: Any, linecount: Any, fill_with: Any = None) -> int:
    return linecount if fill_with is not None and isinstance(linecount, int) else 0


def _sliced(_value: Any, slices: Any, fill_with: Any = None) -> int:
    return slices if isinstance(slices, int) else 0


# What a filter (its value first) or a ``str`` method (its string first) may grow to,
# estimated before it runs; everything else is checked on what it returns.
_FILTER_GROWTH: dict[str, Callable[..., int]] = {
    "batch": _batched,
    "center": _padded,
    "indent": _indented,
    "replace": _replaced,
    "slice": _sliced,
    "wordwrap": _wrapped,
}
_METHOD_GROWTH: dict[str, Callable[..., int]] = {
    "center": _padded,
    "expandtabs": _tabbed,
    "ljust": _padded,
    "replace": _replaced,
    "rjust": _padded,
    "zfill": _padded,
}


class _LimitedCodeGenerator(CodeGenerator):
    """Compiles ``~`` and list, tuple and dict literals so that what they build is checked."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.limited(")
        super().visit_Concat(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.limited(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.limited(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # a loop's or assignment's targets, not a value
            super().visit_Tuple(node, frame)
            return
        self.write("environment.limited(")
        super().visit_Tuple(node, frame)
        self.write(")")


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, refusing to build values or run loops past the limits."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _LimitedCodeGenerator

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals["range"] = _limited_range
        self.filters = {name: _limited_filter(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP_GUARD] = _limited_loop

    @staticmethod
    def limited(value: Any) -> Any:
        """``value``, once checked against the render's ``max_chars``."""
        return _limited(value)

    def concat(self, parts: Iterable[str]) -> str:
        """Join a macro's or ``{% set %}`` block's output, refusing one past ``max_chars``."""
        parts = list(parts)
        _budget.get().check(sum(map(len, parts)), "a block of")
        return "".join(parts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget.get()
        budget.tick()
        budget.check(_binop_size(operator, left, right, budget.max_chars))
        if _binop_bits(operator, left, right) > _MAX_BITS:
            raise LimitExceeded(f"the template built a number of more than {MAX_DIGITS:,} digits")
        return _limited(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget.get()
        budget.tick()
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in _METHOD_GROWTH:
            budget.check(_METHOD_GROWTH[name](owner, *args, **kwargs))
        elif isinstance(owner, str) and name == "join" and args:
            args = (list(args[0]), *args[1:])
            budget.check(_joined(owner, args[0], budget.max_chars))
        return _limited(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        format_ = super().wrap_str_format(value)
        if format_ is None:
            return None
        fmt = value.__self__

        @wraps(format_)
        def limited_format(*args: Any, **kwargs: Any) -> str:
            budget = _budget.get()
            budget.check(_formatted(fmt, [*args, *kwargs.values()], budget.max_chars))
            return format_(*args, **kwargs)

        return limited_format

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        for loop in list(source.find_all(nodes.For)):  # each iteration reads the clock
            loop.iter = nodes.Filter(loop.iter, _LOOP_GUARD, [], [], None, None, lineno=loop.lineno)
        return super()._generate(source, *args, **kwargs)


def _limited_filter(name: str, filter_: Callable[..., Any]) -> Callable[..., Any]:
    """``filter_``, its growth estimated before it runs and its result checked after."""
    skip = 1 if hasattr(filter_, "jinja_pass_arg") else 0  # the context or environment

    @wraps(filter_)
    def limited_filter(*args: Any, **kwargs: Any) -> Any:
        budget = _budget.get()
        budget.tick()
        value = args[skip:]
        if name in _FILTER_GROWTH and value:
            budget.check(_FILTER_GROWTH[name](*value, **kwargs))
        elif name == "join" and value:
            items = list(value[0])
            args = (*args[:skip], items, *value[1:])
            separator = value[1] if len(value) > 1 else kwargs.get("d", "")
            budget.check(_joined(separator, items, budget.max_chars))
        elif name == "format" and value:
            given = [*value[1:], *kwargs.values()]
            budget.check(_formatted(str(value[0]), given, budget.max_chars))
        return _limited(filter_(*args, **kwargs))

    return limited_filter
