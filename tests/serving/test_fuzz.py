"""Fuzzing the API: no request gets a 5xx, and every refusal is a problem-details answer.

Schemathesis reads the app's OpenAPI and sends what it describes — path, query, header
and body values, valid (positive) and invalid (negative) — to every operation, then
follows the OpenAPI links (declared in ``serving/openapi.py``, and those schemathesis
infers) through multi-step scenarios: its stateful phase. Every case also carries a few
hostile headers the spec does not describe, and the key of the scope under test: each
of ``predict``, ``train``, ``admin``, and none at all. Each runs on SQLite and on
PostgreSQL (the ``db`` fixture).

The suite runs a few examples per operation and mode (``OI_FUZZ_EXAMPLES``, default 2) and
a few scenarios (``OI_FUZZ_SCENARIOS``, default 2, of up to ``OI_FUZZ_STEPS`` steps, default
6); ``scripts/fuzz.sh`` runs many more, and ``OI_FUZZ_REPORT=FILE`` appends what each run
did to a JSON-lines file (docs/reliability.md, "Fuzzing").
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import GenerationMode

from open_interpreter.services.api_keys import SCOPES

from ..fixtures.api import key, make_client
from ..fixtures.data import conll_bytes

EXAMPLES = int(os.environ.get("OI_FUZZ_EXAMPLES", "2"))
SCENARIOS = int(os.environ.get("OI_FUZZ_SCENARIOS", "2"))
STEPS = int(os.environ.get("OI_FUZZ_STEPS", "6"))
PROBLEM = "application/problem+json"
STREAM_SECONDS = 2.0
"""How long a case reads an event stream of a job still running before it hangs up."""

HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "print_blob": True,
}

SCENARIO_SETTINGS = {
    **HYPOTHESIS,
    "stateful_step_count": STEPS,
    "phases": [Phase.generate],  # a replay meets another database: no shrinking
}

HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=40,
).map(str.strip)
HOSTILE = st.fixed_dictionaries(
    {},
    optional={
        "Last-Event-ID": st.one_of(
            HEADER_TEXT, st.integers(-(2**70), 2**70).map(str), st.just("²")
        ),
        "Accept": st.sampled_from(["*/*", "application/json", "text/event-stream", "x/y;q=z"]),
        "Accept-Encoding": st.sampled_from(["gzip", "identity", "br;q=0", "*"]),
        "X-API-Key": HEADER_TEXT,
        "X-Request-ID": HEADER_TEXT,
    },
)
ANONYMOUS = st.fixed_dictionaries(
    {},
    optional={
        "Authorization": st.one_of(HEADER_TEXT, HEADER_TEXT.map("Bearer oi_{}".format)),
        "X-API-Key": st.one_of(HEADER_TEXT, HEADER_TEXT.map("oi_{}".format)),
    },
)


@dataclass
class Tally:
    """What one run sent and what came back; ``failures`` are answers the test refuses."""

    scope: str
    database: str
    operations: int = 0
    links: int = 0
    cases: int = 0
    scenarios: int = 0
    steps: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def check(self, response, case) -> None:
        """Record the answer to ``case``; fail on a 5xx or a refusal that is not a problem."""
        status = response.status_code
        self.statuses[status] += 1
        content_type = response.headers.get("content-type") or [""]
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        if status >= 500 or (status >= 400 and not content_type.startswith(PROBLEM)):
            where = f"{case.method} {case.formatted_path} -> {status}: {response.text[:300]}"
            self.failures.append(where)
            raise AssertionError(where)

    @contextmanager
    def reporting(self) -> Iterator[None]:
        """Append this run to ``OI_FUZZ_REPORT``, if set, and name every failure it saw
        (a scenario replayed against a database it changed may fail differently)."""
        try:
            yield
        except Exception:
            if self.failures:
                pytest.fail("\n".join(list(dict.fromkeys(self.failures))[:20]))
            raise
        finally:
            path = os.environ.get("OI_FUZZ_REPORT")
            if path:
                with open(path, "a") as out:
                    out.write(json.dumps({**asdict(self), "statuses": dict(self.statuses)}) + "\n")


@pytest.fixture
def fuzz_client(db):
    """The app on ``db`` with rate limits out of the way, some data to find, and a client
    holding it started."""
    with make_client(db, rate_limit_per_minute=10**9, failed_auth_per_minute=10**9) as client:
        admin = key(db, "admin")
        dataset = client.post(
            "/v1/datasets", headers=admin, files={"file": ("seed.conll", conll_bytes(4, 0))}
        ).json()
        job = client.post(
            "/v1/fine-tunes",
            headers=admin,
            json={"model_name": "seed", "train_dataset_id": dataset["id"]},
        ).json()
        client.post(f"/v1/fine-tunes/{job['id']}/cancel", headers=admin).raise_for_status()
        prompt = {"name": "seed", "text": "Say {{ text }}", "description": "seed"}
        client.post("/v1/prompts", headers=admin, json=prompt).raise_for_status()
        yield client


def _modes(operation) -> list[GenerationMode]:
    """Valid values for every operation; invalid ones too where something can be invalid
    (not where there is only a path segment any string fits)."""
    plain = {"type", "title", "description"}
    constrained = [
        parameter
        for parameter in operation.iter_parameters()
        if parameter.definition["schema"].get("type") != "string"
        or set(parameter.definition["schema"]) - plain
    ]
    if constrained or list(operation.body):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


@pytest.mark.parametrize("scope", ["none", *SCOPES])
def test_no_request_gets_a_5xx(scope, db, fuzz_client):
    """Every operation alone, then scenarios that follow the links."""
    tally = Tally(scope, db.engine.dialect.name)
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)
    auth = {} if scope == "none" else key(db, scope)
    with tally.reporting():
        _fuzz_operations(schema, tally, auth, ANONYMOUS if scope == "none" else HOSTILE)
        _fuzz_scenarios(schema, tally, auth)
    assert tally.operations >= 30 and tally.links >= 30 and tally.steps >= SCENARIOS


def _fuzz_operations(schema, tally: Tally, auth: dict, extra: st.SearchStrategy) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    tally.operations = len(operations)
    for operation in operations:
        for mode in _modes(operation):

            @given(case=operation.as_strategy(generation_mode=mode), headers=extra)
            @settings(max_examples=EXAMPLES, **HYPOTHESIS)
            def fuzz(case, headers) -> None:
                case.headers = {**(case.headers or {}), **headers, **auth}
                tally.cases += 1
                tally.check(case.call(timeout=STREAM_SECONDS), case)

            fuzz()


def _fuzz_scenarios(schema, tally: Tally, auth: dict) -> None:
    class Scenario(schema.as_state_machine()):
        def setup(self) -> None:
            tally.scenarios += 1

        def get_call_kwargs(self, case) -> dict:
            return {"headers": auth, "timeout": STREAM_SECONDS}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            tally.steps += 1
            tally.check(response, case)

    tally.links = schema.statistic.transitions.selected
    for _ in range(5):
        left = SCENARIOS - tally.scenarios
        if left <= 0:
            return
        try:
            Scenario.run(settings=settings(max_examples=left, **SCENARIO_SETTINGS))
        except (Flaky, AssertionError):
            # Hypothesis replays a scenario on a database earlier ones have changed, so it
            # may draw differently (Flaky, or an assertion inside Hypothesis): as
            # schemathesis' own runner does, carry on with new scenarios. A failed check
            # has been recorded in ``failures``, and stops the run.
            if tally.failures:
                raise
