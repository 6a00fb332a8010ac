"""Property test: nothing a client sends produces a 500 (schemathesis over our OpenAPI)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from open_interpreter.services.api_keys import create_key
from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'oi.db'}")
    with db.session() as session:
        _, secret = create_key(session, name="fuzz", scope="admin")
    return create_app(Settings(database_url=db.url, rate_limit_per_minute=100_000), db), secret


def test_no_request_gets_a_500(fuzz_app):
    app, secret = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            response = case.call()
            assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"
            if response.status_code >= 400:
                content_type = response.headers.get("content-type")
                content_type = content_type[0] if isinstance(content_type, list) else content_type
                assert content_type.startswith("application/problem+json"), response.text

        check()
