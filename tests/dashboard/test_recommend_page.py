"""The Recommend page: in-process, it renders without a key and sits in the navigation;
in headless Chromium against a real ``oi serve`` whose worker trained a recommender as a
job, it shows a user's history beside their recommendations with the reason for each,
and the evaluation table, with every text escaped (a hostile title stays text)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

HOSTILE = "<img src=x onerror=window.hacked=1>Heist"
GENRES = ["Action", "Comedy", "Drama"]


def test_the_recommend_page_renders_and_is_in_the_navigation(client):
    page = TestClient(client.app).get("/recommend?model=x&user=1")
    assert page.status_code == 200
    assert '<a href="/recommend" aria-current="page">Recommend</a>' in page.text
    for element in ("rec-model", "rec-user", "history-table", "recs-table", "eval-table"):
        assert f'id="{element}"' in page.text
    script = TestClient(client.app).get("/static/recommend.js")
    assert script.status_code == 200 and "/recommendations?" in script.text
    assert "innerHTML" not in script.text


def _tables() -> tuple[bytes, bytes]:
    """12 users who each like one genre (4 of its 5 items, in time order); item 0 is hostile;
    u0 has items 0, 3, 6, 9 and first needs 12, the Action film it has not seen."""
    clicks = ["user,item,time"]
    for user in range(12):
        liked = [i for i in range(15) if i % 3 == user % 3]
        mine = [liked[(user // 3 + n) % len(liked)] for n in range(4)]
        clicks += [f"u{user},i{item},{user * 100 + t}" for t, item in enumerate(mine)]
    items = ["item,title,genres"] + [
        f'i{i},"{HOSTILE if i == 0 else f"Film {i}"}",{GENRES[i % 3]}' for i in range(15)
    ]
    return ("\n".join(clicks) + "\n").encode(), ("\n".join(items) + "\n").encode()


@pytest.fixture(scope="module")
def trained_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """``oi serve`` with one worker, after it trained ``tiny-movies`` (item-kNN) as a job."""
    from benchmarks.dashboard_site import serve

    with serve(tmp_path_factory.mktemp("recommend") / "home", workers=1) as site:
        clicks, items = _tables()
        files = [
            site.client.post(
                "/v1/recommenders/files", data={"role": role}, files={"file": (name, data)}
            ).json()["id"]
            for role, name, data in (("interactions", "c.csv", clicks), ("items", "i.csv", items))
        ]
        body = {
            "name": "tiny-movies",
            "model": "itemknn",
            "interactions_file_id": files[0],
            "items_file_id": files[1],
        }
        job = site.client.post("/v1/recommenders", json=body).json()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = site.client.get(f"/v1/fine-tunes/{job['id']}").json()
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        assert job["status"] == "succeeded", job
        yield site


@pytest.mark.browser
@pytest.mark.slow  # a real server and Chromium: never a few seconds on 2 cores
def test_history_beside_recommendations_with_reasons_and_the_evaluation(trained_site):
    from benchmarks.dashboard_site import CHROMIUM, CHROMIUM_ARGS, FIRST_CONTENT

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make setup` or `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    site = trained_site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(f"localStorage.setItem('oi.apiKey', {site.key!r})")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site.url}/recommend?model=tiny-movies&user=u0")
        page.wait_for_function(FIRST_CONTENT)
        page.wait_for_function("document.body.dataset.recommended === 'u0'")
        history = page.locator("#history-table tbody tr")
        assert history.count() == 4
        titles = history.evaluate_all("rows => rows.map(r => r.cells[0].textContent)")
        assert HOSTILE in titles  # u0 likes Action: items 0, 3, 6, 9; shown as text
        recs = page.locator("#recs-table tbody tr")
        assert recs.count() == 10
        first = recs.nth(0).locator("td").all_inner_texts()
        assert first[2] == "Action" and first[4].startswith("similar items: like")
        evaluation = page.locator("#eval-table tbody tr").nth(0).locator("td").all_inner_texts()
        assert evaluation[:3] == ["1", "itemknn", "12"] and "[" in evaluation[4]
        assert page.evaluate("window.hacked") is None
        assert page.locator("#history-table img").count() == 0

        page.fill("#rec-user", "somebody-new")
        page.click("#rec-form button[type=submit]")
        page.wait_for_function("document.body.dataset.recommended === 'somebody-new'")
        assert "unknown user" in page.locator("#rec-fallback").inner_text()
        assert "unknown user" in page.locator("#history-table tbody").inner_text()
        context.close()
        browser.close()
    assert not errors, f"JavaScript errors: {errors}"
