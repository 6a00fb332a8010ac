"""The playground's Explain control in headless Chromium against a real ``oi serve``: the
words and scores it shows are the API's, it works from the keyboard, and the graded words
stay readable. Two tiny BERTs, fine-tuned here for a few seconds and registered through
the API (much cheaper than a fine-tune job), are explained: a sentiment classifier and a
tagger."""

from __future__ import annotations

from pathlib import Path

import pytest

from ...fixtures.analysis import trained
from ...fixtures.api import tar_gz
from ...fixtures.models import save_tiny_ner_model
from .site import CONTRAST, FIRST_CONTENT, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENTIMENT, NER = "explain-sentiment", "explain-ner"
SHOWN = """root => [...root.querySelectorAll('figure.explanation')].map((figure) => ({
  caption: figure.querySelector('figcaption').textContent,
  words: [...figure.querySelectorAll('.explained .word')].map((w) => ({
    word: w.firstChild.textContent,
    score: Number(w.dataset.score),
    title: w.title,
    spoken: w.querySelector('.visually-hidden').textContent,
    background: getComputedStyle(w).backgroundColor,
    inEntity: w.classList.contains('in-entity'),
  })),
}))"""


@pytest.fixture(scope="module")
def registered(site: Site, tiny_bert_dir: Path, tmp_path_factory) -> dict[str, int]:
    """The two tiny models, saved and registered as ``explain-sentiment`` and ``explain-ner``."""
    saved = tmp_path_factory.mktemp("explained")
    models = {
        SENTIMENT: trained(str(tiny_bert_dir), "sentiment").save(saved / SENTIMENT),
        NER: save_tiny_ner_model(tiny_bert_dir, saved / NER),
    }
    versions = {}
    for name, path in models.items():
        files = {"archive": (f"{name}.tar.gz", tar_gz(path))}
        response = site.client.post("/v1/models", data={"name": name}, files=files)
        assert response.status_code == 201, response.text
        versions[name] = response.json()["version"]
    return versions


def _predict_then_explain(page, site: Site, model: str, text: str, method: str) -> list[dict]:
    page.goto(f"{site.url}/playground?model={model}")
    page.wait_for_function(FIRST_CONTENT)
    page.fill("#p-text", text)
    page.click("#predict-form button[type=submit]")
    page.locator("#explain-0").wait_for()
    assert page.locator("label[for='explain-0-method']").inner_text() == "Method"
    page.select_option("#explain-0-method", method)
    page.focus("#explain-0-method")
    page.keyboard.press("Tab")  # to the Explain button, then press it from the keyboard
    assert page.evaluate("document.activeElement.textContent") == "Explain"
    page.keyboard.press("Enter")
    page.locator("#explain-0-result figure.explanation").first.wait_for(timeout=60_000)
    return page.locator("#explain-0-result").evaluate(SHOWN)


def _assert_shown_as_answered(shown: list[dict], answer: dict) -> None:
    (result,) = answer["results"]
    assert len(shown) == len(result["explanations"])
    for figure, explanation in zip(shown, result["explanations"], strict=True):
        assert [w["word"] for w in figure["words"]] == explanation["words"]
        assert [w["score"] for w in figure["words"]] == pytest.approx(
            explanation["scores"], rel=1e-9, abs=1e-12
        )
        pairs = zip(explanation["words"], explanation["scores"], strict=True)
        titles = [f"{word}: {score:+.3f}" for word, score in pairs]
        assert [w["title"] for w in figure["words"]] == titles
        assert [w["spoken"] for w in figure["words"]] == [f" ({t.split(': ')[1]})" for t in titles]
        assert f"probability {explanation['probability']:.3f}" in figure["caption"]


def test_explain_shows_the_apis_words_and_scores(page, site: Site, registered):
    text = "this film is great"
    shown = _predict_then_explain(page, site, SENTIMENT, text, "integrated-gradients")
    answer = site.client.post(
        f"/v1/models/{SENTIMENT}/explain",
        json={"text": text, "method": "integrated-gradients", "version": registered[SENTIMENT]},
    ).json()
    _assert_shown_as_answered(shown, answer)
    explanation = answer["results"][0]["explanations"][0]
    assert explanation["target"] == answer["results"][0]["prediction"]["label"]
    assert explanation["target"] in shown[0]["caption"]
    strongest = max(range(len(explanation["scores"])), key=lambda i: abs(explanation["scores"][i]))
    backgrounds = [w["background"] for w in shown[0]["words"]]
    assert backgrounds[strongest] != "rgb(255, 255, 255)"  # graded, not blank
    assert len(set(backgrounds)) > 1

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#predictions select, #predictions button')]
            .filter((el) => !(el.labels && el.labels.length) && !el.textContent.trim())
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert not unlabelled
    selectors = [
        ".explained .word",
        "figure.explanation figcaption",
        ".top-words",
        ".legend",
        ".explain-form label",
    ]
    ratios = page.evaluate(CONTRAST, selectors)
    low = [(selector, round(ratio, 2)) for selector, ratio in ratios if ratio < 4.5]
    assert len(ratios) >= len(selectors) and not low, low
    screenshot(page, "playground-explain", element="#predict-box")


def test_explain_shows_each_entity_of_a_tagger(page, site: Site, registered):
    text = "Mary visited Berlin"
    shown = _predict_then_explain(page, site, NER, text, "occlusion")
    answer = site.client.post(
        f"/v1/models/{NER}/explain", json={"text": text, "method": "occlusion"}
    ).json()
    _assert_shown_as_answered(shown, answer)
    explanations = answer["results"][0]["explanations"]
    assert explanations, "the tiny tagger found no entity"
    for figure, explanation in zip(shown, explanations, strict=True):
        entity = explanation["entity"]
        assert entity["type"] in figure["caption"] and entity["text"] in figure["caption"]
        inside = [w["inEntity"] for w in figure["words"]]
        assert inside == [entity["words"][0] <= i < entity["words"][1] for i in range(len(inside))]
