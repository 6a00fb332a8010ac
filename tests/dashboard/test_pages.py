"""The dashboard's pages in-process: each renders without a key, and asks for one only with auth
(the browser tests in ``browser/`` drive them in Chromium)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database


def test_pages_render_without_a_key_and_ask_for_one_only_with_auth(client, db: Database):
    paths = ["/", "/runs/ft_x", "/compare", "/models", "/evaluation", "/resources"]
    paths += ["/playground", "/prompt-lab"]
    for path in paths:
        page = TestClient(client.app).get(path)
        assert page.status_code == 200, path
        assert 'data-auth="true"' in page.text and 'id="key-dialog"' in page.text
        assert 'aria-current="page"' in page.text
    open_app = create_app(Settings(database_url=db.url, auth=False), db)
    page = TestClient(open_app).get("/")
    assert 'data-auth="false"' in page.text and "key-dialog" not in page.text


def test_the_playground_offers_cached_hub_models_only_where_the_api_serves_them(
    db: Database, tiny_llama_dir, isolated_home
):
    import shutil

    from ..models.hub_cache import fake_cache_snapshot

    shutil.copytree(tiny_llama_dir, isolated_home / "models" / "tiny-llama")
    fake_cache_snapshot(tiny_llama_dir, "acme/cached-llama")
    for allow_hub, listed in ((False, False), (True, True)):
        app = create_app(Settings(database_url=db.url, allow_hub=allow_hub), db)
        for path in ("/playground", "/prompt-lab"):
            page = TestClient(app).get(path).text
            assert "tiny-llama" in page, path
            assert ("acme/cached-llama" in page) is listed, (path, allow_hub)
