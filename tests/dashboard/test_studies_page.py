"""The Studies page in-process: it renders without a key, sits in the navigation, and its
script is served from the package (the browser test in ``browser/test_studies.py`` drives
it in Chromium against a study that ran)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_studies_page_renders_with_its_charts_and_is_in_the_navigation(client):
    page = TestClient(client.app).get("/studies?id=st_x")
    assert page.status_code == 200
    assert '<a href="/studies" aria-current="page">Studies</a>' in page.text
    for element in ("studies-table", "trials-table", "history-chart", "epochs-chart"):
        assert f'id="{element}"' in page.text
    assert 'id="parallel-chart"' in page.text and 'id="importance-chart"' in page.text
    assert 'src="/static/studies.js"' in page.text
    script = TestClient(client.app).get("/static/studies.js")
    assert script.status_code == 200 and "/v1/studies/" in script.text
    assert '<a href="/studies">Studies</a>' in TestClient(client.app).get("/models").text
