"""The dashboard's static assets: served from the package, compressed, revalidated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from open_interpreter.storage import Database

from ..fixtures.api import key


def test_assets_come_from_the_package_compressed_and_revalidated(client: TestClient, db: Database):
    client.headers.update(key(db, "admin"))
    script = client.get("/static/api.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cache-control"] == "no-cache"
    again = client.get("/static/api.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    raw = client.get("/static/app.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and b"--primary" in raw.content
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert client.get("/static/nope.js").json()["code"] == "not_found"

    url = client.get("/").text.split('data-plotly="')[1].split('"')[0]
    plotly = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plotly.status_code == 200 and "immutable" in plotly.headers["cache-control"]
    assert plotly.headers["content-encoding"] == "gzip"
    assert len(plotly.content) > 1_000_000  # httpx decompressed it: the whole bundle
