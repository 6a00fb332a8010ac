"""Two ``oi serve --workers 0`` replicas on one PostgreSQL behind HAProxy share their state:
what one replica changes, every replica sees, within the bound docs/scale-out.md states.

Everything goes through the balancer (round robin, ``deploy/haproxy/haproxy.cfg``); each
answer names the replica that gave it (``X-Served-By``), so a check can ask every replica.

- API keys are read from the database on every request: a revoked key is refused by every
  replica at once (keys are revoked with ``oi keys revoke``: the database, no replica).
- Which version a model name means is cached per replica for ``VersionLookup``'s ttl (1 s):
  a promotion through one replica is served by that one at once and by every replica once
  the ttl has passed since the promotion was answered.
- Jobs and datasets are rows (and artifact files) read on every request: a cancellation or
  an upload through one replica is seen through the other at once.
- Rate limits live in each process: N replicas admit N times ``OI_RATE_LIMIT_PER_MINUTE``
  per key.
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from benchmarks.replicas_site import CONFIG, SERVED_BY, Site, haproxy, replicas_behind_haproxy

from open_interpreter.services import registry
from open_interpreter.services.api_keys import create_key, revoke_key
from open_interpreter.serving.versions import VersionLookup
from open_interpreter.storage import Database
from open_interpreter.storage.tables import Dataset

from ..fixtures.data import conll_bytes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(sys.platform != "linux", reason="process groups, Debian's haproxy"),
    pytest.mark.skipif(
        haproxy() is None, reason="needs Debian's haproxy: apt-get install haproxy (make setup)"
    ),
]

MODEL = "replicated-ner"
VERSION_CACHE_S = 1.0
"""How long a replica may answer with the version a name meant before (serving/versions.py)."""
RATE_LIMIT = 20
"""Requests per key a minute, per replica (OI_RATE_LIMIT_PER_MINUTE of both replicas)."""


@dataclass
class Replicated:
    """The running site, the database it shares, and the home its replicas share."""

    site: Site
    db: Database
    home: Path
    http: httpx.Client
    """A client of the balancer (one connection pool for every request of the module)."""

    def key(self, scope: str) -> tuple[str, dict[str, str]]:
        """A new key of ``scope``: its id and the headers that carry it."""
        with self.db.session() as session:
            row, secret = create_key(session, name=f"replicas-{scope}", scope=scope)
        return row.id, {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def replicated(
    request: pytest.FixtureRequest,
    postgres_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replicated]:
    """Two replicas behind haproxy on this session's PostgreSQL database, sharing one
    ``OI_HOME``; ``replicated-ner`` v1 (production) and v2 registered there directly."""
    if postgres_url is None:
        pytest.skip("needs PostgreSQL: export OI_TEST_DATABASE_URL=$(./scripts/postgres.sh)")
    # asked for only now: a skipped module builds no model
    tiny_ner_model_dir = request.getfixturevalue("tiny_ner_model_dir")
    tiny_bert_dir = request.getfixturevalue("tiny_bert_dir")
    home = tmp_path_factory.mktemp("replicas_home")
    shutil.copytree(tiny_bert_dir, home / "models" / "tiny-bert")
    db = Database(postgres_url, migrate=False)
    with pytest.MonkeyPatch.context() as patch:  # the artifacts go where the replicas look
        patch.setenv("OI_HOME", str(home))
        with db.session() as session:
            for _ in range(2):
                registry.register_directory(session, model_name=MODEL, path=tiny_ner_model_dir)
            registry.promote(session, MODEL, 1)
    env = {"OI_HOME": str(home), "OI_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)}
    logs = tmp_path_factory.mktemp("replica_logs")
    try:
        with (
            replicas_behind_haproxy(postgres_url, 2, logs, env=env) as site,
            httpx.Client(base_url=site.url, timeout=60) as http,
        ):
            yield Replicated(site, db, home, http)
    finally:
        db.dispose()


def on_each(replicated: Replicated, method: str, path: str, **request) -> dict[str, httpx.Response]:
    """Send the same (idempotent) request through the balancer until every replica has
    answered it; each replica's answer."""
    answers: dict[str, httpx.Response] = {}
    for _ in range(4 * len(replicated.site.replicas)):
        answer = replicated.http.request(method, path, **request)
        answers.setdefault(answer.headers[SERVED_BY], answer)
        if len(answers) == len(replicated.site.replicas):
            return answers
    raise AssertionError(f"round robin reached only {sorted(answers)}")


def test_the_shipped_haproxy_config_is_valid():
    checked = subprocess.run(
        [haproxy(), "-c", "-f", str(CONFIG)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_version_cache_bound_is_the_one_documented():
    ttl = inspect.signature(VersionLookup).parameters["ttl"].default
    assert ttl == VERSION_CACHE_S  # docs/scale-out.md states this bound


def test_a_revoked_key_is_refused_by_every_replica_at_once(replicated):
    key_id, headers = replicated.key("predict")
    before = on_each(replicated, "GET", "/v1/models", headers=headers)
    assert {name: a.status_code for name, a in before.items()} == {"api1": 200, "api2": 200}

    with replicated.db.session() as session:
        assert revoke_key(session, key_id)  # what `oi keys revoke` does
    after = on_each(replicated, "GET", "/v1/models", headers=headers)  # no wait at all
    assert {name: a.status_code for name, a in after.items()} == {"api1": 401, "api2": 401}
    assert all("revoked" in a.json()["detail"] for a in after.values())


def test_a_promotion_through_one_replica_is_served_by_every_replica_within_the_bound(
    replicated,
):
    http = replicated.http
    _, admin = replicated.key("admin")
    predict = {"json": {"texts": ["john visited paris"]}, "headers": admin}
    path = f"/v1/models/{MODEL}/predict"
    on_each(replicated, "POST", path, **predict)  # each replica loads the model
    warm = on_each(replicated, "POST", path, **predict)
    assert {a.json()["version"] for a in warm.values()} == {1}  # cached on both now

    promoted = http.post(f"/v1/models/{MODEL}/promote", json={"version": 2}, headers=admin)
    answered = time.monotonic()
    assert promoted.status_code == 200, promoted.text
    promoter = promoted.headers[SERVED_BY]

    seen: list[tuple[float, str, int]] = []  # (sent, s after the promotion; replica; version)
    while not seen or seen[-1][0] < VERSION_CACHE_S + 0.5:
        sent = time.monotonic() - answered
        answer = http.post(path, **predict)
        assert answer.status_code == 200, answer.text
        seen.append((sent, answer.headers[SERVED_BY], answer.json()["version"]))
        time.sleep(0.1)  # well under the rate limit

    stale = [sent for sent, _, version in seen if version != 2]
    print(f"old version answered until {max(stale, default=0):.2f} s after the promotion")
    assert all(version == 2 for _, replica, version in seen if replica == promoter), seen
    late = [(replica, version) for sent, replica, version in seen if sent >= VERSION_CACHE_S]
    assert {replica for replica, _ in late} == {"api1", "api2"}, seen
    assert all(version == 2 for _, version in late), seen


def test_a_job_cancelled_through_one_replica_is_cancelled_through_every_replica(replicated):
    http = replicated.http
    _, train = replicated.key("train")
    files = {"file": ("tiny.conll", conll_bytes(12, 0))}
    dataset = http.post("/v1/datasets", files=files, headers=train)
    assert dataset.status_code == 201, dataset.text
    body = {
        "model_name": "replicated-job",
        "train_dataset_id": dataset.json()["id"],
        "config": {"model": "tiny-bert"},
    }
    job = http.post("/v1/fine-tunes", json=body, headers=train)
    assert job.status_code == 201, job.text  # queued: the replicas run no workers
    job_id = job.json()["id"]
    queued = on_each(replicated, "GET", f"/v1/fine-tunes/{job_id}", headers=train)
    assert {a.json()["status"] for a in queued.values()} == {"queued"}

    cancelled = http.post(f"/v1/fine-tunes/{job_id}/cancel", headers=train)
    assert cancelled.status_code == 200, cancelled.text
    seen = on_each(replicated, "GET", f"/v1/fine-tunes/{job_id}", headers=train)
    assert {name: a.json()["status"] for name, a in seen.items()} == {
        "api1": "cancelled",
        "api2": "cancelled",
    }


def test_a_dataset_uploaded_through_one_replica_is_readable_through_every_replica(
    replicated,
):
    http = replicated.http
    _, train = replicated.key("train")
    files = {"file": ("shared.conll", conll_bytes(8, 1))}
    uploaded = http.post("/v1/datasets", files=files, headers=train)
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()

    read = on_each(replicated, "GET", f"/v1/datasets/{dataset['id']}", headers=train)
    assert {name: a.status_code for name, a in read.items()} == {"api1": 200, "api2": 200}
    assert all(a.json() == dataset for a in read.values())
    with replicated.db.session() as session:
        stored = replicated.home / "artifacts" / session.get(Dataset, dataset["id"]).path
    assert stored.read_bytes() == conll_bytes(8, 1)  # the file, in the shared artifact folder


def test_rate_limits_are_per_replica(replicated):
    http = replicated.http
    _, headers = replicated.key("predict")
    started = time.monotonic()
    admitted: dict[str, int] = {"api1": 0, "api2": 0}
    limited: set[str] = set()
    for _ in range(4 * RATE_LIMIT):
        answer = http.get("/v1/models", headers=headers)
        replica = answer.headers[SERVED_BY]
        if answer.status_code == 429:
            limited.add(replica)
            if limited == {"api1", "api2"}:
                break
        else:
            assert answer.status_code == 200, answer.text
            admitted[replica] += 1
    refilled = (time.monotonic() - started) * RATE_LIMIT / 60 + 1  # tokens back meanwhile
    assert limited == {"api1", "api2"}, admitted
    for replica, count in admitted.items():  # each replica's own bucket of RATE_LIMIT
        assert RATE_LIMIT <= count <= RATE_LIMIT + refilled, (replica, count, refilled)
