"""The Resources page's Workers section in Chromium: the worker ``oi serve --workers 1``
starts inside itself is listed with its state, capacity and last heartbeat."""

from __future__ import annotations

from .site import FIRST_CONTENT, Site


def test_resources_page_lists_the_servers_own_worker(page, site: Site):
    answer = site.client.get("/v1/workers").json()
    assert answer["count"] >= 1, answer
    page.goto(f"{site.url}/resources")
    page.wait_for_function(FIRST_CONTENT)
    page.wait_for_selector("#workers tbody tr[data-id]")
    rows = page.locator("#workers tbody tr[data-id]")
    listed = {rows.nth(i).get_attribute("data-id") for i in range(rows.count())}
    assert {w["id"] for w in answer["data"]} <= listed
    first = rows.nth(0)
    assert first.get_attribute("data-state") in ("idle", "running")
    assert "ago" in first.inner_text()
    assert "running or idle of" in page.locator("#workers-note").inner_text()
