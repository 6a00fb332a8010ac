"""HTML for notebooks (``_repr_html_``): reports as small self-styled tables, every label
and text escaped, no scripts."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from open_interpreter.evaluation.report import Scores

_TABLE = 'style="border-collapse: collapse; margin: 0.5rem 0"'
_CELL = 'style="border: 1px solid #e5e7eb; padding: 0.2rem 0.6rem; text-align: {align}"'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A table whose cells are escaped; numbers (and signed changes) align right."""

    def cell(tag: str, value: Any) -> str:
        text = str(value)
        numeric = isinstance(value, int | float) or text.lstrip("+-−").replace(".", "").isdigit()
        style = _CELL.format(align="right" if numeric else "left")
        return f"<{tag} {style}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", h) for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table {_TABLE}>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scores_table(
    rows: Mapping[str, Scores], averages: Mapping[str, Scores], caption: str = ""
) -> str:
    """Precision / recall / F1 / support per row, then the averages."""
    lines = [
        [name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", s.support]
        for name, s in {**rows, **averages}.items()
    ]
    return table(["", "precision", "recall", "f1-score", "support"], lines, caption)


def paragraph(text: str) -> str:
    """One escaped paragraph (line breaks kept)."""
    return f'<p style="white-space: pre-wrap">{html.escape(text)}</p>'
