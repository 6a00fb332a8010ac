"""The service behind ``/v1/assistants`` on each test database (SQLite, and PostgreSQL where
``OI_TEST_DATABASE_URL`` is set), with the word-hashing encoder: conversations, feedback,
hand-offs, owners, delete; and the follow-up rule on its own."""

from __future__ import annotations

import pytest

from open_interpreter.apps.assistant import service
from open_interpreter.apps.assistant.assistant import Reply
from open_interpreter.apps.assistant.knowledge import read_faq
from open_interpreter.apps.assistant.sessions import is_follow_up, retrieval_query
from open_interpreter.apps.assistant.store import KnowledgeStore
from open_interpreter.errors import DataError, NotFoundError
from open_interpreter.services.callers import Caller


@pytest.mark.parametrize(
    ("question", "follows"),
    [("What does it cost?", True), ("And for a garage?", True), ("Where do they apply?", True),
     ("Where do I apply for a fishing licence in Uppsala?", False)],
)  # fmt: skip
def test_a_short_or_pointing_question_is_a_follow_up(question, follows):
    assert is_follow_up(question) is follows
    query = retrieval_query(question, "How do I renew my passport?")
    assert query == (f"How do I renew my passport? {question}" if follows else question)
    assert retrieval_query(question, None) == question
    assert len(retrieval_query("and it?", "x" * 5000)) == 1000


def test_conversation_feedback_hand_offs_and_delete(db, faq_csv, word_encoder):
    service.use_encoder(word_encoder)
    owner = Caller(actor="owner", key_id=None, sees_all=True)
    row = service.create_assistant(
        db, name="support", entries=read_faq(faq_csv), source="file faq.csv",
        encoder="words", threshold=0.5, caller=owner,
    )  # fmt: skip
    stranger = Caller(actor="stranger", key_id="key_other", sees_all=False)
    conversation = service.start_session(db, row.id)
    first = service.ask(db, row.id, "How long does a building permit take?",
                        session_id=conversation["id"])  # fmt: skip
    second = service.ask(db, row.id, "What does it cost?", session_id=conversation["id"])
    assert first["citations"][0]["id"] == "permit-1" and second["number"] == 2
    assert second["query"].startswith("How long does a building permit take?")
    off = service.ask(
        db,
        row.id,
        "Which football club won the cup final yesterday evening?",
        session_id=conversation["id"],
    )
    assert off["handed_off"] and off["handoff_id"]
    service.give_feedback(db, row.id, conversation["id"], second["id"], rating="down",
                          correction="About 25,000 SEK.")  # fmt: skip
    with pytest.raises(DataError, match="rating"):
        service.give_feedback(db, row.id, conversation["id"], second["id"], rating="meh")
    with pytest.raises(NotFoundError):
        service.get_session(db, row.id, conversation["id"], caller=stranger)
    # two requests of one conversation at once: the later one takes the next free number
    raced = service._store_turn(
        db, conversation["id"], 2, "again?", "again?", Reply("again?", "yes", "faq"),
        {"handoff_id": None, "citations": []},
    )  # fmt: skip
    assert raced["number"] == 4
    stored = service.get_session(db, row.id, conversation["id"])
    assert [t["handed_off"] for t in stored["turns"]] == [False, False, True, False]
    assert stored["turns"][1]["feedback"][0]["correction"] == "About 25,000 SEK."
    assert stored["turns"][0]["citations"][0]["bm25_rank"] == 1
    queue, total = service.list_handoffs(db, row.id, state="open")
    assert (
        total == 1
        and queue[0]["question"] == "Which football club won the cup final yesterday evening?"
    )
    with pytest.raises(service.NotOwnerError):
        service.resolve_handoff(db, row.id, off["handoff_id"], caller=stranger)
    assert service.resolve_handoff(db, row.id, off["handoff_id"])["state"] == "resolved"
    assert service.list_handoffs(db, row.id, state="open")[1] == 0
    assert service.feedback_examples(db, row.id)[0]["rating"] == "down"
    with pytest.raises(service.NotOwnerError):
        service.delete_assistant(db, row.id, caller=stranger)
    service.delete_assistant(db, row.id)
    with pytest.raises(NotFoundError):
        service.get_assistant(db, row.id)
    assert row.kb_name not in KnowledgeStore(db).names()
