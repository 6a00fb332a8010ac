"""A real assistant in the dashboard (minilm-l6, a 24-question FAQ, one answer carrying
markup): the Assistant page chats in a conversation with citations, streams the answer,
reads a follow-up against the previous question, shows the retrieval debug ranks, escapes
what it shows, and lists and resolves the hand-off queue."""

from __future__ import annotations

import csv
import io

import pytest

from ...apps.assistant.test_api import faq_csv
from .site import FIRST_CONTENT, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MARKUP = "<img src=x onerror=\"document.body.dataset.xss='1'\">"


def _assistant(site: Site) -> dict:
    extra = io.StringIO()
    csv.writer(extra).writerow(["x-1", "Is there any markup here?", f"Yes: {MARKUP}"])
    data = faq_csv() + extra.getvalue().encode()
    made = site.client.post(
        "/v1/assistants", data={"name": "council"}, files={"file": ("council.csv", data)},
        timeout=120,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()


def test_chat_with_citations_debug_ranks_and_the_hand_off_queue(page, site):
    made = _assistant(site)
    page.goto(f"{site.url}/assistant?id={made['id']}")
    page.wait_for_function(FIRST_CONTENT)
    page.wait_for_function(f"document.body.dataset.assistant === {made['id']!r}")
    ask = lambda question: (  # noqa: E731
        page.fill("#chat-input", question), page.click("#chat-send"),
    )  # fmt: skip
    ask("How do I get a library card?")
    first = page.locator(".chat-message.assistant").nth(0)
    first.locator(".citations").wait_for(timeout=30_000)
    assert "identity card" in first.locator(".answer").inner_text()
    assert first.locator(".citations li").nth(0).inner_text().startswith("library-how")
    ask("How long does it take?")
    second = page.locator(".chat-message.assistant").nth(1)
    second.locator(".citations").wait_for(timeout=30_000)
    assert "read as: How do I get a library card? How long does it take?" in second.inner_text()
    assert second.locator(".citations li").nth(0).inner_text().startswith("library-time")
    page.wait_for_function(
        "document.querySelector('#debug-table tbody tr td').textContent === 'library-time'"
    )
    cells = page.locator("#debug-table tbody tr").nth(0).locator("td").all_inner_texts()
    assert cells[2] == "1" and cells[4].isdigit()  # fused rank 1, a dense rank
    second.get_by_role("button", name="Good answer").click()
    second.get_by_text("thanks").wait_for()

    page.click("#chat-new")  # a new conversation: no follow-up of the library card
    ask("Is there any markup here?")
    third = page.locator(".chat-message.assistant").nth(0)
    third.locator(".citations").wait_for(timeout=30_000)
    assert MARKUP in third.locator(".answer").inner_text()  # shown as text
    assert page.locator(".chat-message img").count() == 0
    assert page.evaluate("document.body.dataset.xss") is None

    ask("Who won the football match yesterday?")
    fourth = page.locator(".chat-message.assistant").nth(1)
    fourth.locator(".citations").wait_for(timeout=30_000)
    assert "Handed off to a person" in fourth.inner_text()
    row = page.locator("#handoffs-table tbody tr[data-state='open']")
    row.first.wait_for(timeout=15_000)
    assert "football" in row.first.inner_text()
    screenshot(page, "assistant", full_page=True)
    row.first.get_by_role("button", name="Resolve").click()
    page.wait_for_function("document.body.dataset.handoffs === '0'")
    stored = site.client.get(f"/v1/assistants/{made['id']}/handoffs?state=resolved").json()
    assert stored["count"] == 1 and "football" in stored["data"][0]["question"]
