"""The Assistant page in-process: it renders without a key, sits in the navigation, and its
script is served from the package and builds every text as text (the browser test in
``browser/test_assistant.py`` drives it in Chromium against a real assistant)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_assistant_page_renders_its_parts_and_is_in_the_navigation(client):
    page = TestClient(client.app).get("/assistant?id=as_x")
    assert page.status_code == 200
    assert '<a href="/assistant" aria-current="page">Assistant</a>' in page.text
    for element in ("a-select", "chat-log", "chat-form", "debug-table", "handoffs-table"):
        assert f'id="{element}"' in page.text
    assert 'src="/static/assistant.js"' in page.text
    script = TestClient(client.app).get("/static/assistant.js")
    assert script.status_code == 200 and "/v1/assistants" in script.text
    assert "innerHTML" not in script.text  # answers, questions and passages go in as text
    assert '<a href="/assistant">Assistant</a>' in TestClient(client.app).get("/models").text
