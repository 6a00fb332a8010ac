"""The dashboard's browser tests: a real ``oi serve`` process and headless Chromium, as
``benchmarks/dashboard_site.py`` starts them for the dashboard benchmark (one place for
both), plus what only the tests need: model names, a contrast check, screenshots."""

from __future__ import annotations

from pathlib import Path

from benchmarks.dashboard_site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST_CONTENT,
    PAGES,
    Site,
    insert_runs,
    serve,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "CONTRAST",
    "FIRST_CONTENT",
    "PAGES",
    "SMOLLM2",
    "TINY_BERT",
    "TINY_LLAMA",
    "WORD_LLAMA",
    "Site",
    "insert_runs",
    "screenshot",
    "serve",
]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
TINY_BERT = "tiny-bert"  # the tiny BERT fixture, as a name in the server's model store
TINY_LLAMA = "tiny-llama"  # the tiny Llama chat model, likewise
WORD_LLAMA = "word-llama"  # the tiny word-level Llama chat model (it answers in words)
SMOLLM2 = "smollm2-135m-instruct"  # a real chat model, from its PyPI package


# The contrast ratio (WCAG) of the first few elements each selector finds, as
# [selector, ratio] pairs.
CONTRAST = """(selectors) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg && !bg.startsWith('rgba(0, 0, 0, 0)') && bg !== 'transparent') return rgb(bg);
    }
    return [255, 255, 255];
  };
  const some = (selector) => [...document.querySelectorAll(selector)].slice(0, 3);
  return selectors.flatMap((selector) => some(selector).map((el) => {
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    return [selector, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  }));
}"""


def screenshot(page, name: str, *, element: str | None = None, full_page: bool = False) -> Path:
    """Save the visible page (or one element of it, or the whole page) as
    ``test-output/screenshots/<name>.png``.

    ``make screenshots`` copies them, made smaller, into ``docs/images``.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if element:
        page.locator(element).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=full_page)
    return path
