"""A real fine-tune watched in the dashboard: the run page updating while the tiny BERT
trains, a second run launched from the form (uploaded data, LoRA), the evaluation page's
numbers against the API's, comparison, promote and roll back, the playground, resources.
Each page's screenshot goes to ``test-output/screenshots/``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import pairwise

import pytest

from ...fixtures.data import conll_bytes
from .site import FIRST_CONTENT, TINY_BERT, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL = "tiny-ner"
FINISHED = {"succeeded", "failed", "cancelled"}
RUN_STATE = """() => ({
  status: document.querySelector('#run-status .badge')?.textContent || '',
  points: Number(document.getElementById('loss-chart').dataset.points || 0),
  drawn: (document.querySelector('#loss-chart .js-line')?.getAttribute('d') || '')
    .split('L').filter(Boolean).length,
  evaluations: document.querySelectorAll('#eval-table tbody tr td.num').length > 0
    ? document.querySelectorAll('#eval-table tbody tr').length : 0,
  step: document.getElementById('s-step').textContent,
  eta: document.getElementById('s-eta').textContent,
  reported: !document.getElementById('final-report').hidden,
})"""


LOG_AXIS = "document.querySelector('#loss-chart')._fullLayout?.yaxis.type === 'log'"


@dataclass
class WatchedRun:
    """A job followed on its run page, and what the page showed every 200 ms."""

    job_id: str
    samples: list[tuple[float, dict]]


def _new_page(browser, site: Site):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(f"localStorage.setItem('oi.apiKey', {site.key!r})")
    return context, context.new_page()


def _watch(page, *, shot: str | None = None, timeout_s: float = 300) -> list[tuple[float, dict]]:
    """Sample the run page every 200 ms until the run ends (screenshot ``shot`` mid-run)."""
    samples = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE)
        samples.append((time.monotonic(), state))
        if shot and state["status"] == "running" and state["evaluations"] >= 3:
            page.check("#loss-log")  # the loss falls by orders of magnitude: show it so
            page.wait_for_function(LOG_AXIS)
            screenshot(page, shot)
            shot = None
        if state["status"] in FINISHED and (state["reported"] or state["status"] != "succeeded"):
            return samples
        page.wait_for_timeout(200)
    raise AssertionError(f"the run did not finish in {timeout_s}s; last: {samples[-1]}")


@pytest.fixture(scope="module")
def datasets(site: Site) -> dict[str, str]:
    """Training and validation CoNLL files uploaded through the API."""
    ids = {}
    for name, (n, seed) in {"people-train": (160, 0), "people-dev": (24, 1)}.items():
        response = site.client.post(
            "/v1/datasets",
            files={"file": (f"{name}.conll", conll_bytes(n, seed))},
            data={"name": name},
        )
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


@pytest.fixture(scope="module")
def watched_run(browser, site: Site, datasets: dict[str, str]) -> WatchedRun:
    """Queue a fine-tune of the tiny BERT (1,600 steps) and watch its run page to the end."""
    job = site.client.post(
        "/v1/fine-tunes",
        json={
            "model_name": MODEL,
            "train_dataset_id": datasets["people-train"],
            "validation_dataset_id": datasets["people-dev"],
            "config": {
                "model": TINY_BERT,
                "epochs": 20,
                "learning_rate": 5e-3,
                "batch_size": 2,
                "warmup_ratio": 0,
                "num_threads": 1,
            },
        },
    )
    assert job.status_code == 201, job.text
    context, page = _new_page(browser, site)
    page.goto(f"{site.url}/runs/{job.json()['id']}")
    samples = _watch(page, shot="run-live")
    page.wait_for_timeout(600)
    screenshot(page, "run")
    screenshot(page, "run-report", element="#final-report")
    context.close()
    return WatchedRun(job.json()["id"], samples)


@pytest.fixture(scope="module")
def form_run(browser, site: Site, datasets: dict[str, str]) -> str:
    """A second fine-tune of the same model, launched from the form: uploaded file, LoRA."""
    context, page = _new_page(browser, site)
    page.goto(site.url + "/")
    page.wait_for_function(FIRST_CONTENT)
    page.click("#launch-toggle")
    page.fill("#f-name", MODEL)
    page.fill("#f-base", TINY_BERT)
    page.select_option("#f-task", "token-classification")
    page.check("input[name=source][value=upload]")
    assert page.locator("#f-train").is_hidden() and page.locator("#f-file").is_visible()
    page.set_input_files(
        "#f-file",
        files=[{"name": "people.conll", "mimeType": "text/plain", "buffer": conll_bytes(48, 3)}],
    )
    page.select_option("#f-validation", datasets["people-dev"])
    page.fill("#f-lr", "0.005")
    page.fill("#f-epochs", "3")
    page.fill("#f-batch", "8")
    page.fill("#f-warmup", "0")
    page.check("#f-peft")
    screenshot(page, "launch-form")
    page.click("#launch-form button[type=submit]")
    page.wait_for_url("**/runs/ft_*", timeout=30_000)
    job_id = page.url.rsplit("/", 1)[-1]
    samples = _watch(page)
    context.close()
    assert samples[-1][1]["status"] == "succeeded", samples[-1]
    return job_id


def test_run_page_follows_the_training_live(watched_run: WatchedRun, site: Site):
    samples = watched_run.samples
    assert samples[-1][1]["status"] == "succeeded", samples[-1]
    running = [(t, s) for t, s in samples if s["status"] == "running"]
    # What is drawn: the points of the training-loss line's SVG path, not the data behind it.
    changes = [t for (_, before), (t, s) in pairwise(running) if s["drawn"] > before["drawn"]]
    assert len(changes) >= 5, f"the loss curve changed only {len(changes)} times while training"
    gaps = [b - a for a, b in pairwise(changes)]
    assert max(gaps) <= 2.0, f"the loss curve went {max(gaps):.1f}s without an update"
    assert any(s["eta"] not in ("–", "") for _, s in running), "no ETA was shown"
    assert max(s["evaluations"] for _, s in running) >= 2, "no evaluation appeared live"
    assert samples[-1][1]["evaluations"] == 20
    job = site.client.get(f"/v1/fine-tunes/{watched_run.job_id}").json()
    assert job["progress"]["best_metric"]["name"] == "entity_f1"
    assert job["progress"]["resources"]["rss_bytes"] > 0


def test_run_page_final_report_matches_the_api(page, site: Site, watched_run: WatchedRun):
    report = site.client.get(f"/v1/models/{MODEL}/versions/1/report").json()
    page.goto(f"{site.url}/runs/{watched_run.job_id}")
    page.locator("#final-comparison").wait_for()
    shown = _table(page, "#final-comparison")
    for metric, change in report["comparison"].items():
        assert shown[metric][:2] == [f"{change['before']:.3f}", f"{change['after']:.3f}"]


def _table(page, selector: str) -> dict[str, list[str]]:
    """Rows of a table by their first cell: the other cells' text."""
    rows = page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )
    return {row[0]: row[1:] for row in rows}


def _assert_scores(shown: dict[str, list[str]], expected: dict[str, dict]) -> None:
    assert set(shown) == set(expected)
    for name, scores in expected.items():
        numbers = [f"{scores[k]:.3f}" for k in ("precision", "recall", "f1")]
        assert shown[name] == [*numbers, str(scores["support"])], name


def test_evaluation_page_shows_the_api_numbers(page, site: Site, watched_run, form_run, datasets):
    report = site.client.get(f"/v1/models/{MODEL}/versions/1/report").json()
    after = report["reports"]["after"]
    page.goto(f"{site.url}/evaluation?model={MODEL}&version=1")
    page.locator("#label-table").wait_for()
    assert page.locator("#e-source").input_value() == "training:after"
    _assert_scores(_table(page, "#label-table"), after["report"])
    _assert_scores(_table(page, "#entity-table"), after["entities"])
    cells = page.locator("table.heatmap td").evaluate_all(
        "cells => cells.map(c => [c.dataset.gold, c.dataset.predicted, Number(c.textContent)])"
    )
    labels, matrix = after["labels"], after["confusion_matrix"]
    grid = [[g, p, matrix[i][j]] for i, g in enumerate(labels) for j, p in enumerate(labels)]
    assert cells == grid
    comparison = _table(page, "#before-after")
    assert comparison["entity_f1"][:2] == [
        f"{report['comparison']['entity_f1'][k]:.3f}" for k in ("before", "after")
    ]

    page.click("#eval-run summary")
    page.select_option("#e-dataset", datasets["people-dev"])
    page.click("#eval-run-form button[type=submit]")
    page.locator("#eval-run-status").filter(has_text="Stored ev_").wait_for(timeout=60_000)
    # the address names the evaluation once its sources have loaded, just after the status
    page.wait_for_function("location.search.includes('evaluation=')", timeout=30_000)
    evaluation_id = page.url.split("evaluation=")[1]
    stored = site.client.get(f"/v1/evaluations/{evaluation_id}").json()["report"]
    shown = f"document.getElementById('e-source').value === 'stored:{evaluation_id}'"
    page.wait_for_function(shown)
    _assert_scores(_table(page, "#label-table"), stored["report"])
    _assert_scores(_table(page, "#entity-table"), stored["entities"])

    page.select_option("#e-version", "2")  # the short LoRA run: a less perfect picture
    page.wait_for_function("location.search.includes('version=2')")
    after = site.client.get(f"/v1/models/{MODEL}/versions/2/report").json()["reports"]["after"]
    _assert_scores(_table(page, "#entity-table"), after["entities"])
    page.click("#eval-run summary")
    screenshot(page, "evaluation")


def test_launch_from_the_form_trains_and_registers_a_lora_version(site: Site, form_run: str):
    job = site.client.get(f"/v1/fine-tunes/{form_run}").json()
    assert job["status"] == "succeeded"
    assert job["config"]["peft"]["method"] == "lora" and job["config"]["peft"]["r"] == 8
    uploaded = site.client.get(f"/v1/datasets/{job['train_dataset_id']}").json()
    assert uploaded["name"] == "people.conll" and uploaded["num_examples"] == 48
    versions = site.client.get(f"/v1/models/{MODEL}/versions").json()
    assert [v["job_id"] for v in versions][-1] == form_run


def test_compare_page_puts_two_runs_on_one_chart(page, site: Site, watched_run, form_run):
    page.goto(f"{site.url}/compare?ids={watched_run.job_id},{form_run}")
    page.wait_for_function("Number(document.getElementById('compare-loss').dataset.points) > 0")
    page.wait_for_function(
        "Number(document.getElementById('compare-metric-chart').dataset.points) > 0"
    )
    assert page.locator("#compare-loss .scatterlayer .trace").count() == 2
    assert page.locator("#compare-metric").input_value() == "entity_f1"
    header = page.locator("#compare-table thead").inner_text()
    assert watched_run.job_id in header and form_run in header
    screenshot(page, "compare")


def _stages(site: Site) -> dict[int, str]:
    versions = site.client.get(f"/v1/models/{MODEL}/versions").json()
    return {v["version"]: v["stage"] for v in versions}


def test_models_page_promotes_and_rolls_back(page, site: Site, watched_run, form_run):
    page.goto(f"{site.url}/models")
    card = page.locator(f"#model-{MODEL}")
    card.wait_for()
    assert card.locator("tbody tr").count() == 2
    card.locator("tr[data-version='1'] td.exports").filter(has_text="served by torch").wait_for()
    for version in (1, 2):
        page.click(f"button[aria-label='Promote {MODEL} version {version} to production']")
        done = f"v{version} is now in production"
        page.locator("#models-status").filter(has_text=done).wait_for()
        assert _stages(site)[version] == "production"
    assert _stages(site) == {1: "archived", 2: "production"}
    page.click(f"#model-{MODEL} >> text=Roll back production")
    page.locator("#models-status").filter(has_text="rolled back").wait_for()
    assert _stages(site) == {1: "production", 2: "archived"}
    card.locator("tr[data-version='2'] details summary").click()
    screenshot(page, "models")


def test_playground_highlights_the_entities_the_api_finds(page, site: Site, watched_run):
    texts = ["Mary visited Berlin", "john works at acme corp in paris"]
    expected = site.client.post(f"/v1/models/{MODEL}/predict", json={"texts": texts}).json()
    page.goto(f"{site.url}/playground?model={MODEL}")
    page.wait_for_function(FIRST_CONTENT)
    page.fill("#p-text", "\n".join(texts))
    page.click("#predict-form button[type=submit]")
    page.locator("#predictions article").nth(1).wait_for()
    marks = page.locator("#predictions article").evaluate_all(
        """articles => articles.map(a => [...a.querySelectorAll('mark')].map(
            m => [m.dataset.type, m.firstChild.textContent]))"""
    )
    assert marks == [
        [[e["type"], e["text"]] for e in p["entities"]] for p in expected["predictions"]
    ]
    assert any(marks), "the tiny model found no entity at all"
    screenshot(page, "playground")


def test_resources_page_shows_the_server_and_a_job_over_its_run(page, site, watched_run):
    answer = site.client.get("/v1/resources").json()
    assert answer["samples"] and {"cpu_percent", "memory_total_bytes"} <= set(answer["samples"][0])
    page.goto(f"{site.url}/resources?job={watched_run.job_id}")
    page.wait_for_function(FIRST_CONTENT)
    assert "%" in page.locator("#r-cpu").inner_text()
    page.wait_for_function("Number(document.getElementById('cpu-chart').dataset.points) > 0")
    page.wait_for_function("Number(document.getElementById('job-cpu-chart').dataset.points) > 0")
    assert page.locator("#gpu-section").is_hidden() == (not answer["samples"][-1]["gpus"])
    page.wait_for_timeout(2500)  # one more sample on the chart
    screenshot(page, "resources")


def test_runs_page_lists_the_real_runs_first(page, site: Site, watched_run, form_run):
    page.goto(site.url + "/")
    page.wait_for_function(FIRST_CONTENT)
    first = page.locator("#runs-table tbody tr").nth(0)
    assert first.get_attribute("data-id") == form_run
    assert "entity_f1" in first.inner_text()
    screenshot(page, "runs")


def test_run_page_cancels_a_run(page, site: Site, datasets, watched_run):
    job = site.client.post(
        "/v1/fine-tunes",
        json={
            "model_name": "to-cancel",
            "train_dataset_id": datasets["people-train"],
            "config": {"model": TINY_BERT, "epochs": 500, "num_threads": 1},
        },
    ).json()
    page.goto(f"{site.url}/runs/{job['id']}")
    page.locator("#cancel-button").wait_for(state="visible")
    page.click("#cancel-button")
    page.locator("#run-status .badge").filter(has_text="cancelled").wait_for(timeout=60_000)
    assert site.client.get(f"/v1/fine-tunes/{job['id']}").json()["status"] == "cancelled"
    assert page.locator("#cancel-button").is_hidden()
    page.locator("#run-log").filter(has_text="status: cancelled").wait_for()  # the SSE event
