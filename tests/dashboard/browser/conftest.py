"""Fixtures of the browser tests: one ``oi serve`` for the package, headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make setup``); Playwright only
drives it and never downloads a browser of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from open_interpreter.storage import Database

from ...fixtures.runs import insert_runs
from .site import CHROMIUM, CHROMIUM_ARGS, TINY_BERT, TINY_LLAMA, WORD_LLAMA, Site, serve

HISTORY_RUNS = 100


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `make setup` (it installs Debian's chromium) "
            "or `apt-get install chromium`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_bert_dir: Path,
    tiny_llama_dir: Path,
    word_llama_dir: Path,
) -> Iterator[Site]:
    """``oi serve`` with API keys on, one embedded worker, 100 finished runs of history, and
    in its model store the tiny BERT as ``tiny-bert`` (a job's base model is a name) and
    tiny Llama chat models as ``tiny-llama`` and ``word-llama`` (which answers in words)."""
    home = tmp_path_factory.mktemp("dashboard") / "home"
    shutil.copytree(tiny_bert_dir, home / "models" / TINY_BERT)
    shutil.copytree(tiny_llama_dir, home / "models" / TINY_LLAMA)
    shutil.copytree(word_llama_dir, home / "models" / WORD_LLAMA)
    database_url = f"sqlite:///{home / 'oi.db'}"
    Database(database_url).dispose()
    insert_runs(database_url, HISTORY_RUNS)
    with serve(home, workers=1) as running:
        yield running


@pytest.fixture
def page(browser, site: Site) -> Iterator:
    """A fresh page at 1280×800 that already holds the API key (as after the key prompt);
    fails the test if the page logs a JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(f"localStorage.setItem('oi.apiKey', {site.key!r})")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
