"""The Models page's continual report in Chromium: the score matrix R[i][j] with each
step's strategy (and adapter), the summary and the gate, names shown as text, not markup."""

from __future__ import annotations

import pytest

from .site import FIRST_CONTENT, Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL = {
    "name": "topics",
    "task": "sequence-classification",
    "description": "",
    "created_at": "2026-01-01T00:00:00",
    "versions": [],
}
HOSTILE = '<img src=x onerror="window.pwned=1">'
REPORT = {
    "model": "topics@2",
    "version": 2,
    "metric": "accuracy",
    "tasks": ["sentiment", HOSTILE],
    "matrix": [[0.9], [0.7, 0.8]],
    "steps": [
        {"strategy": "lora-per-version", "adapter": "default"},
        {"strategy": "lora-per-version", "adapter": "version_1"},
    ],
    "average": 0.75,
    "backward_transfer": -0.2,
    "forgetting": {"sentiment": 0.2},
    "mean_forgetting": 0.2,
    "gate": {"promoted": False, "reasons": ["sentiment: 0.700 < champion 0.900 - 0.01"]},
}


def test_the_models_page_shows_the_continual_report_as_text(page, site: Site):
    page.route("**/v1/models", lambda route: route.fulfill(json={"data": [MODEL], "count": 1}))
    page.route("**/v1/models/topics/continual-report", lambda route: route.fulfill(json=REPORT))
    page.goto(f"{site.url}/models")
    page.wait_for_function(FIRST_CONTENT)
    table = page.locator("#continual-topics table")
    table.wait_for()
    header = table.locator("thead th").all_inner_texts()
    assert header == ["after step", "sentiment", HOSTILE]
    rows = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert rows == [
        ["0 (lora-per-version, adapter default)", "0.900", "–"],
        ["1 (lora-per-version, adapter version_1)", "0.700", "0.800"],
    ]
    panel = page.locator("#continual-topics").inner_text()
    assert "mean forgetting 0.200" in panel and "kept as challenger" in panel
    assert page.locator("#continual-topics img").count() == 0
    assert page.evaluate("() => window.pwned") is None
