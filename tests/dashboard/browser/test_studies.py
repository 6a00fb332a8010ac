"""A real study watched in the dashboard: three trials of the tiny BERT run as jobs by the
server's worker; the Studies page lists the trials (state, settings, score, epochs,
duration) with a link to each run page, and draws the optimisation history, the scores
per epoch, parallel coordinates and the parameter importances."""

from __future__ import annotations

import time

import pytest

from ...fixtures.data import conll_bytes
from .site import FIRST_CONTENT, TINY_BERT, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _run_study(site: Site) -> dict:
    datasets = [
        site.client.post("/v1/datasets", files={"file": ("d.conll", conll_bytes(n, seed))}).json()[
            "id"
        ]
        for n, seed in ((24, 0), (8, 1))
    ]
    body = {
        "model_name": "tiny-ner-studied",
        "train_dataset_id": datasets[0],
        "validation_dataset_id": datasets[1],
        "config": {"model": TINY_BERT, "epochs": 2, "batch_size": 8, "num_threads": 1},
        "search": {
            "space": {"learning_rate": {"low": 1e-3, "high": 1e-2, "log": True}},
            "n_trials": 3,
            "pruner": "none",
        },
        "parallel": 1,
    }
    created = site.client.post("/v1/studies", json=body)
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        study = site.client.get(f"/v1/studies/{created.json()['id']}").json()
        if study["status"] != "running":
            return study
        time.sleep(2)
    pytest.fail(f"the study did not end in 400 s: {study}")


def test_a_study_shows_its_trials_and_charts_and_links_each_trial_to_its_run(page, site):
    study = _run_study(site)
    assert study["status"] == "succeeded", study
    page.goto(f"{site.url}/studies?id={study['id']}")
    page.wait_for_function(FIRST_CONTENT)
    page.wait_for_function("document.body.dataset.studyStatus === 'succeeded'", timeout=15_000)
    rows = page.locator("#trials-table tbody tr")
    assert rows.count() == 3
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.state)") == ["complete"] * 3
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0] == "0 (baseline)" and "learning_rate=" in first[2]
    assert first[4] == "2 / 2" and first[6].endswith("s")
    points = {
        chart: page.locator(f"#{chart}").get_attribute("data-points")
        for chart in ("history-chart", "parallel-chart", "importance-chart")
    }
    assert points == {"history-chart": "3", "parallel-chart": "2", "importance-chart": "1"}
    for chart in ("history-chart", "epochs-chart", "parallel-chart", "importance-chart"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    assert page.locator("#studies-table tbody tr").count() >= 1
    screenshot(page, "studies", full_page=True)
    link = rows.nth(1).locator("a")
    job_id = study["trials"][1]["job_id"]
    assert link.get_attribute("href") == f"/runs/{job_id}"
    link.click()
    page.wait_for_url(f"**/runs/{job_id}")
    page.wait_for_function(FIRST_CONTENT)
