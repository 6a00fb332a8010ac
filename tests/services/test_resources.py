"""What the dashboard reads, in-process: the resource sampler and ``GET /v1/resources``, a
job's history, a version's full reports, the pages and their assets, and the best metric
and resource figures a running job records."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from open_interpreter.evaluation import BeforeAfter, evaluate_token_classification
from open_interpreter.services import jobs, registry
from open_interpreter.services.api_keys import create_key
from open_interpreter.services.job_progress import RunFigures
from open_interpreter.services.resources import ProcessFigures, ResourceSampler, parse_nvidia_smi
from open_interpreter.serving.app import create_app
from open_interpreter.serving.settings import Settings
from open_interpreter.storage import Database
from open_interpreter.storage.tables import FineTuneJob

from .site import insert_runs


@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'oi.db'}")
    yield database
    database.dispose()


@pytest.fixture
def client(db: Database):
    """A client with an admin key, on an app whose sampler was not started."""
    with db.session() as session:
        _, secret = create_key(session, name="t", scope="admin")
    app = create_app(Settings(database_url=db.url), db)
    return TestClient(app, headers={"Authorization": f"Bearer {secret}"})


def test_nvidia_smi_output_is_read_per_gpu():
    gpus = parse_nvidia_smi("0, NVIDIA H200, 35, 1024, 143771\n1, NVIDIA H200, [N/A], 0, 143771\n")
    assert [g["index"] for g in gpus] == [0, 1]
    assert gpus[0]["utilization_percent"] == 35.0
    assert gpus[0]["memory_used_bytes"] == 1024 * 1024 * 1024
    assert gpus[1]["utilization_percent"] == 0.0


def test_the_sampler_keeps_a_bounded_series():
    sampler = ResourceSampler(interval_s=0.05, capacity=3)
    for _ in range(5):
        sampler.sample()
    samples = sampler.samples()
    assert len(samples) == 3
    assert sampler.samples(since=samples[1]["time"]) == samples[2:]
    assert 0 <= samples[-1]["cpu_percent"] <= 100
    assert samples[-1]["memory_total_bytes"] > samples[-1]["memory_used_bytes"] > 0
    assert samples[-1]["process"]["rss_bytes"] > 0
    with pytest.raises(ValueError, match="capacity"):
        ResourceSampler(capacity=0)


def test_the_sampler_thread_samples_until_stopped():
    sampler = ResourceSampler(interval_s=0.05)
    sampler.start()
    try:
        time.sleep(0.3)
    finally:
        sampler.stop()
    count = len(sampler.samples())
    assert count >= 2
    assert len(sampler.samples()) == count


def test_process_figures_count_child_processes():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        figures = ProcessFigures(children=True).measure()
        assert figures["processes"] >= 2
        assert ProcessFigures().measure()["processes"] == 1
    finally:
        child.kill()
        child.wait()


def test_run_figures_keep_the_best_validation_metric():
    figures = RunFigures()
    for epoch, f1 in enumerate([0.5, 0.8, 0.7, float("nan")], start=1):
        metrics = {"accuracy": 0.9, "entity_f1": f1, "loss": 1 / epoch}
        figures.observe(
            {"type": "evaluation", "epoch": epoch, "step": 10 * epoch, "metrics": metrics}
        )
    progress = figures.progress()
    assert progress["best_metric"] == {"name": "entity_f1", "value": 0.8, "epoch": 2, "step": 20}
    assert progress["last_evaluation"]["epoch"] == 4

    by_loss = RunFigures("loss")
    for loss in (0.9, 0.4, 0.6):
        by_loss.observe({"type": "evaluation", "epoch": 1, "step": 1, "metrics": {"loss": loss}})
    assert by_loss.progress()["best_metric"]["value"] == 0.4
    assert by_loss.measure()["rss_bytes"] > 0
    assert "resources" in by_loss.progress()


def test_resources_route_serves_samples_and_running_jobs(client: TestClient, db: Database):
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


def test_history_route_pages_and_filters_a_jobs_events(client: TestClient, db: Database):
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


def _saved_model_with_reports(path: Path) -> tuple[Path, dict]:
    gold = [["B-PER", "O", "B-LOC"], ["B-PER", "O", "O"]]
    before = evaluate_token_classification(gold, [["O", "O", "O"], ["O", "O", "B-LOC"]])
    after = evaluate_token_classification(gold, [["B-PER", "O", "B-LOC"], ["B-PER", "O", "O"]])
    reports = {
        name: {**r.to_dict(), "text": str(r)} for name, r in [("before", before), ("after", after)]
    }
    path.mkdir(parents=True)
    manifest = {"task": "token-classification", "base_model": "tiny", "labels": after.labels}
    (path / "oi_model.json").write_text(json.dumps(manifest))
    metrics = {"task": "token-classification", "steps": 12, "reports": reports, "evaluations": []}
    (path / "metrics.json").write_text(json.dumps(metrics))
    return path, BeforeAfter(before, after).to_dict()["metrics"]


def test_version_report_route_serves_the_full_reports(client, db, tmp_path: Path):
    saved, comparison = _saved_model_with_reports(tmp_path / "saved")
    with db.session() as session:
        registry.register_directory(session, model_name="ner", path=saved)
    answer = client.get("/v1/models/ner/versions/1/report")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["task"] == "token-classification" and report["summary"] == {"steps": 12}
    assert report["comparison"] == comparison
    assert report["comparison"]["entity_f1"]["after"] == 1.0
    after = report["reports"]["after"]
    assert after["entities"]["LOC"]["f1"] == 1.0 and after["confusion_matrix"]
    assert client.get("/v1/models/ner/versions/2/report").status_code == 404


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


def test_assets_come_from_the_package_compressed_and_revalidated(client: TestClient):
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
