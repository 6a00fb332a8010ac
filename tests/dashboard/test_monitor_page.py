"""The Monitor page: it renders without a key and sits in the navigation (in-process),
and in headless Chromium against a real ``oi serve`` it follows a replay as it runs —
the series grows and alert markers appear without a reload — shows the documents behind
a point, and shows a document's text as text (a script in it never runs)."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from benchmarks.dashboard_site import CHROMIUM, CHROMIUM_ARGS, FIRST_CONTENT, serve
from fastapi.testclient import TestClient

ALIASES = {"Acme": {"type": "company", "aliases": []}}
GOOD = "Acme reported strong gains and record profits."
BAD = "Acme shares fell after losses and a fraud investigation."
HOSTILE = '<img src=x onerror="window.pwned=1">Acme shares fell after losses.'
T0 = datetime(2024, 5, 1, 9, 0)


def test_the_monitor_page_renders_and_is_in_the_navigation(client):
    page = TestClient(client.app).get("/monitor?id=mon_x")
    assert page.status_code == 200
    assert '<a href="/monitor" aria-current="page">Monitor</a>' in page.text
    for element in ("monitors-table", "series-chart", "mon-points", "mon-docs", "mon-alerts"):
        assert f'id="{element}"' in page.text
    script = TestClient(client.app).get("/static/monitor.js")
    assert script.status_code == 200 and "/v1/monitors/" in script.text


def documents(start: int, texts: list[str]) -> dict:
    return {
        "documents": [
            {
                "id": f"d{start + i}",
                "time": (T0 + timedelta(minutes=5 * (start + i))).isoformat(),
                "source": "wire",
                "text": text,
            }
            for i, text in enumerate(texts)
        ]
    }


@pytest.mark.browser
def test_the_page_follows_a_replay_and_shows_the_documents_behind_a_point(tmp_path: Path):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make setup` or `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with serve(tmp_path / "home", workers=0) as site, sync_playwright() as playwright:
        rule = {"name": "negative", "kind": "threshold", "above": 0.6, "min_volume": 3}
        created = site.client.post(
            "/v1/monitors",
            json={
                "name": "acme",
                "sentiment": "lexicon",
                "aliases": ALIASES,
                "window_minutes": 30,
                "step_minutes": 10,
                "rules": [rule],
            },
        )
        assert created.status_code == 201, created.text
        mid = created.json()["id"]
        site.client.post(f"/v1/monitors/{mid}/documents", json=documents(0, [GOOD] * 8))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(f"localStorage.setItem('oi.apiKey', {site.key!r})")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site.url}/monitor?id={mid}")
        page.wait_for_function(FIRST_CONTENT)
        chart = page.locator("#series-chart")
        page.wait_for_function("document.querySelector('#series-chart .main-svg') !== null")
        before = int(chart.get_attribute("data-points"))
        assert before >= 1 and chart.get_attribute("data-alerts") == "0"

        # the replay goes on while the page is open: it must catch up by itself
        for start in (8, 12, 16):
            texts = [HOSTILE, BAD, BAD, BAD] if start == 8 else [BAD] * 4
            answer = site.client.post(f"/v1/monitors/{mid}/documents", json=documents(start, texts))
            assert answer.status_code == 200, answer.text
            time.sleep(0.3)
        page.wait_for_function(
            "Number(document.querySelector('#series-chart').dataset.alerts) >= 1", timeout=15_000
        )
        assert int(chart.get_attribute("data-points")) > before
        assert page.locator("#series-chart .scatterlayer .trace").count() == 2
        alerts = page.locator("#mon-alerts tbody tr")
        assert alerts.count() >= 1 and "negative" in alerts.nth(0).inner_text()

        rows = page.locator("#mon-points tbody tr")
        rows.nth(0).locator("button").click()  # the newest window
        page.wait_for_function("document.querySelectorAll('#mon-docs tbody tr').length > 0")
        texts = page.locator("#mon-docs tbody td.doc-text").all_inner_texts()
        assert HOSTILE in texts or BAD in texts
        assert page.locator("#mon-docs img").count() == 0
        assert page.evaluate("window.pwned") is None
        context.close()
        browser.close()
    assert not errors, f"JavaScript errors: {errors}"
