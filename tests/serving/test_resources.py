"""``GET /v1/resources``: the server's resource samples and what each running job uses."""

from __future__ import annotations

from fastapi.testclient import TestClient

from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob

from ..fixtures.api import key
from ..fixtures.runs import insert_runs


def test_resources_route_serves_samples_and_running_jobs(client: TestClient, db: Database):
    client.app.state.resources.stop()  # so the one sample is the one taken at the start
    client.headers.update(key(db, "admin"))
    insert_runs(db.url, 2)
    with db.session() as session:
        job = session.get(FineTuneJob, "ft_hist000000000001")
        job.status = "running"
        job.progress = {"step": 3, "total_steps": 9, "resources": {"cpu_percent": 97.0}}
        session.commit()
    answer = client.get("/v1/resources")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["interval_s"] == 2.0 and len(body["samples"]) == 1
    assert body["jobs"] == [
        {
            "id": "ft_hist000000000001",
            "model_name": job.model_name,
            "step": 3,
            "total_steps": 9,
            "resources": {"cpu_percent": 97.0},
        }
    ]
    later = client.get("/v1/resources", params={"since": body["samples"][0]["time"]}).json()
    assert later["samples"] == []
    assert TestClient(client.app).get("/v1/resources").status_code == 401
