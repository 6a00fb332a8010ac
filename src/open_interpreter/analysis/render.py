"""How explanations and reports look: HTML (self-contained, no scripts) and terminal text.

Green words push the model toward its target, red ones away from it; the deeper the
colour, the larger the score relative to the text's largest. Every page carries its own
style sheet, so a saved file opens anywhere, offline.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

    from open_interpreter.analysis.explanation import Explanation

_GREEN = (22, 163, 74)
_RED = (220, 38, 38)

EXPLANATION_STYLE = """
.oi-explanation { border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.75rem 1rem;
                  margin: 1rem 0; }
.oi-explanation .oi-head { font-size: 0.9rem; color: #4b5563; margin: 0 0 0.5rem; }
.oi-explanation .oi-text { white-space: pre-wrap; }
.oi-explanation .oi-word { border-radius: 3px; padding: 0 1px; }
.oi-explanation .oi-entity { outline: 2px solid #2563eb; }
""".strip()
"""The rules of an explanation's own classes (what a notebook cell needs)."""

STYLE = (
    """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       line-height: 1.6; color: #1f2937; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #e5e7eb; padding: 0.3rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f9fafb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
""".strip()
    + "\n"
    + EXPLANATION_STYLE
)


def shade(score: float, scale: float) -> tuple[tuple[int, int, int], float]:
    """Return the colour and strength (0..1) for ``score`` on a text whose largest is ``scale``."""
    strength = min(abs(score) / scale, 1.0) if scale > 0 else 0.0
    return (_GREEN if score >= 0 else _RED), strength


def _scale(scores: Sequence[float]) -> float:
    return max((abs(s) for s in scores), default=0.0)


def explanation_html(explanation: Explanation) -> str:
    """Render one explanation as an HTML fragment (the text with graded word backgrounds).

    Args:
        explanation: The explanation.

    Returns:
        A ``<div class="oi-explanation">`` fragment; each word's title shows its score.
    """
    scale = _scale(explanation.scores)
    entity = explanation.entity or {}
    inside = range(*entity["words"]) if entity else range(0)
    parts, position = [], 0
    for i, (word, (start, end), score) in enumerate(
        zip(explanation.words, explanation.offsets, explanation.scores, strict=True)
    ):
        parts.append(html.escape(explanation.text[position:start]))
        (r, g, b), strength = shade(score, scale)
        css = "oi-word oi-entity" if i in inside else "oi-word"
        parts.append(
            f'<span class="{css}" style="background: rgba({r}, {g}, {b}, {strength:.2f})" '
            f'title="{score:+.4f}">{html.escape(explanation.text[start:end] or word)}</span>'
        )
        position = end
    parts.append(html.escape(explanation.text[position:]))
    return (
        '<div class="oi-explanation">'
        f'<p class="oi-head">{html.escape(_headline(explanation))}</p>'
        f'<p class="oi-text">{"".join(parts)}</p></div>'
    )


def _headline(explanation: Explanation) -> str:
    what = f"label {explanation.target}"
    if explanation.entity:
        what = f"entity {explanation.entity['text']!r} ({explanation.target})"
    return f"{what}, p={explanation.probability:.3f}, method: {explanation.method}"


def html_page(fragments: Sequence[str], *, title: str) -> str:
    """Wrap HTML fragments in a complete page with the style sheet inlined."""
    body = "\n".join(fragments)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>\n{STYLE}\n</style></head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def explanation_text(explanation: Explanation) -> Text:
    """Render one explanation for a terminal: the text with graded word backgrounds (rich)."""
    from rich.text import Text

    scale = _scale(explanation.scores)
    out = Text()
    position = 0
    for (start, end), score in zip(explanation.offsets, explanation.scores, strict=True):
        out.append(explanation.text[position:start])
        (r, g, b), strength = shade(score, scale)
        blend = [round(255 - strength * (255 - c)) for c in (r, g, b)]
        out.append(
            explanation.text[start:end], style=f"black on rgb({blend[0]},{blend[1]},{blend[2]})"
        )
        position = end
    out.append(explanation.text[position:])
    return out


def headline(explanation: Explanation) -> str:
    """One line saying what is explained, its probability and the method."""
    return _headline(explanation)


def table_html(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a table; numbers are right-aligned, every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for value in row:
            numeric = isinstance(value, int | float) or _looks_numeric(value)
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def table_markdown(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a Markdown table; ``|`` and newlines inside cells are escaped."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _looks_numeric(value: Any) -> bool:
    text = str(value).strip().rstrip("%").replace("+", "").replace("−", "-")
    try:
        float(text)
    except ValueError:
        return False
    return True
