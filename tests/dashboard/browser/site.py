"""A real ``oi serve`` process for the dashboard's browser tests, headless Chromium's
settings, and the pages as the browser tests open them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from open_interpreter.storage import Database

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
TINY_BERT = "tiny-bert"  # the tiny BERT fixture, as a name in the server's model store
TINY_LLAMA = "tiny-llama"  # the tiny Llama chat model, likewise
WORD_LLAMA = "word-llama"  # the tiny word-level Llama chat model (it answers in words)
SMOLLM2 = "smollm2-135m-instruct"  # a real chat model, from its PyPI package


# Debian's Chromium (installed by `make setup`), headless, with nothing reaching out.
CHROMIUM = os.environ.get("OI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# Every page, as the browser tests open them; each sets the mark `oi:first-content` once
# its data from the API is on screen.
FIRST_CONTENT = "performance.getEntriesByName('oi:first-content').length > 0"
PAGES = [
    "/",
    "/runs/ft_hist000000000000",
    "/compare?ids=ft_hist000000000000,ft_hist000000000001",
    "/models",
    "/evaluation",
    "/resources",
    "/playground",
    "/prompt-lab",
]


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


@dataclass
class Site:
    """A running server: its address, an admin key and an HTTP client carrying the key."""

    url: str
    key: str
    home: Path
    database_url: str
    client: httpx.Client


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path, database_url: str) -> dict[str, str]:
    """The environment of a server process isolated under ``home``, offline."""
    return {
        **os.environ,
        "OI_HOME": str(home),
        "OI_DATABASE_URL": database_url,
        "HF_HOME": str(home / "hf"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


@contextmanager
def serve(home: Path, *, workers: int = 1, auth: bool = True) -> Iterator[Site]:
    """Start ``oi serve`` on a free port with its own SQLite database under ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{home / 'oi.db'}"
    Database(database_url).dispose()  # migrate now, so tests can insert before the start
    env = server_env(home, database_url)
    key = ""
    if auth:
        command = [sys.executable, "-m", "open_interpreter.cli", "keys", "create"]
        key = subprocess.run(
            [*command, "--scope", "admin", "--name", "dashboard-tests"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    log = open(home / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "open_interpreter.cli", *args, *([] if auth else ["--no-auth"])],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        _wait_for(url, process, home / "serve.log")
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            yield Site(url=url, key=key, home=home, database_url=database_url, client=client)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError("oi serve did not start:\n" + log.read_text())


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
