"""The scope matrix of docs/security.md, checked route by route against the running app:
no key → 401, a key below the route's scope → 403, public routes need none; and every
route of the API is in the matrix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from open_interpreter.services.api_keys import create_key, revoke_key

from ..fixtures.api import key, problem

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| (public|predict|train|admin) \|$")
SCOPES = ["predict", "train", "admin"]
EXAMPLES = {
    "name": "x",
    "version": "1",
    "dataset_id": "ds_x",
    "job_id": "ft_x",
    "evaluation_id": "ev_x",
}


def _matrix() -> list[tuple[str, str, str]]:
    rows = [ROW.match(line) for line in SECURITY.read_text(encoding="utf-8").splitlines()]
    return [(m[1], m[2], m[3]) for m in rows if m]


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: EXAMPLES.get(m[1], "x.js"), path)


MATRIX = _matrix()


def test_the_matrix_lists_every_api_route(client):
    documented = {(method, path) for method, path, _ in MATRIX}
    for path, operations in client.app.openapi()["paths"].items():
        for method in operations:
            assert (method.upper(), path) in documented, f"{method.upper()} {path} is undocumented"
    assert len(MATRIX) >= 45


@pytest.mark.parametrize(
    ("method", "path", "scope"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX]
)
def test_each_route_needs_its_scope(client, db, method, path, scope):
    url = _concrete(path)
    if scope == "public":
        assert client.request(method, url).status_code not in (401, 403)
        return
    problem(client.request(method, url, json={}), 401, "unauthorized")
    for lower in SCOPES[: SCOPES.index(scope)]:
        problem(client.request(method, url, headers=key(db, lower), json={}), 403, "forbidden")
    allowed = client.request(method, url, headers=key(db, scope), json={})
    assert allowed.status_code not in (401, 403), allowed.text


def test_a_revoked_key_is_refused_at_once(client, db):
    with db.session() as session:
        row, secret = create_key(session, name="leaving", scope="admin")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/models", headers=headers).status_code == 200
    with db.session() as session:
        assert revoke_key(session, row.id)
    problem(client.get("/v1/models", headers=headers), 401, "unauthorized")
