"""``GET /v1/fine-tunes/{id}/history``: a job's events, paged and filtered by type."""

from __future__ import annotations

from fastapi.testclient import TestClient

from open_interpreter.services import jobs
from open_interpreter.storage import Database

from ..fixtures.api import key
from ..fixtures.runs import insert_runs


def test_history_route_pages_and_filters_a_jobs_events(client: TestClient, db: Database):
    client.headers.update(key(db, "admin"))
    insert_runs(db.url, 1)
    job_id = "ft_hist000000000000"
    with db.session() as session:
        for step in range(1, 6):
            jobs.add_event(session, job_id, "step", {"step": step, "loss": 1 / step})
        jobs.add_event(session, job_id, "log", {"message": "hello"})
    every = client.get(f"/v1/fine-tunes/{job_id}/history").json()
    assert [e["type"] for e in every["data"]] == ["step"] * 5 + ["log"]
    assert every["more"] is False

    page = client.get(f"/v1/fine-tunes/{job_id}/history", params={"limit": 2}).json()
    assert [e["data"]["step"] for e in page["data"]] == [1, 2] and page["more"] is True
    rest = client.get(
        f"/v1/fine-tunes/{job_id}/history", params={"after": page["last"], "types": "step"}
    ).json()
    assert [e["data"]["step"] for e in rest["data"]] == [3, 4, 5]

    bad = client.get(f"/v1/fine-tunes/{job_id}/history", params={"types": "steps"})
    assert bad.status_code == 422 and "steps" in bad.json()["detail"]
    assert client.get("/v1/fine-tunes/ft_nope/history").status_code == 404
