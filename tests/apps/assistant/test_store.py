import numpy as np
import pytest

from open_interpreter.apps.assistant.knowledge import Entry, read_faq
from open_interpreter.apps.assistant.retrieval import NamedEncoder
from open_interpreter.apps.assistant.store import KnowledgeStore
from open_interpreter.errors import ConflictError, NotFoundError

from .conftest import WordEncoder


class CountingEncoder(WordEncoder):
    """Counts the texts it embeds, to show that unchanged entries are not re-embedded."""

    def __init__(self):
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts += texts
        return super().encode(texts)


def test_ingest_stores_entries_with_their_embeddings(db, faq_csv):
    store, encoder = KnowledgeStore(db), NamedEncoder("words", WordEncoder())
    report = store.ingest("support", read_faq(faq_csv), encoder)
    assert (report.version, report.added, report.updated, report.unchanged) == (1, 4, 0, 0)
    stored = store.load("support")
    assert [e.id for e in stored.entries] == ["garden-1", "permit-1", "permit-2", "tax-1"]
    assert stored.encoder == "words" and stored.embeddings.shape == (4, 64)
    expected = encoder.encode([stored.entries[1].search_text])[0]
    assert np.allclose(stored.embeddings[1], expected)
    assert stored.entries[1].content_hash == read_faq(faq_csv)[0].content_hash
    assert store.names() == ["support"]


def test_reingest_embeds_only_what_changed_and_replace_removes_the_rest(db, faq_csv):
    counting = CountingEncoder()
    store, encoder = KnowledgeStore(db), NamedEncoder("words", counting)
    entries = read_faq(faq_csv)
    store.ingest("support", entries, encoder)
    counting.texts.clear()
    changed = [Entry(e.id, e.text, e.answer, e.source, e.category) for e in entries[:3]]
    changed[1] = Entry("permit-2", changed[1].text, "Now free of charge.", "new tariff")
    changed.append(Entry("new-1", "Where do I apply?", "Online, at the municipality."))
    report = store.ingest("support", changed, encoder, replace=True)
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 2, 1)
    assert report.version == 2
    assert len(counting.texts) == 2  # the changed entry and the new one, nothing else
    stored = {e.id: e for e in store.load("support").entries}
    assert set(stored) == {"permit-1", "permit-2", "tax-1", "new-1"}
    assert stored["permit-2"].answer == "Now free of charge."
    again = store.ingest("support", changed, encoder)
    assert (again.version, again.unchanged) == (2, 4)  # nothing changed: same version


def test_delete_entries_and_bases(db, faq_csv):
    store, encoder = KnowledgeStore(db), NamedEncoder("words", WordEncoder())
    store.ingest("support", read_faq(faq_csv), encoder)
    assert store.delete_entries("support", ["tax-1", "nope"]) == 1
    assert store.load("support").version == 2
    store.delete("support")
    with pytest.raises(NotFoundError, match="support"):
        store.load("support")


def test_another_encoder_cannot_mix_vectors_into_a_base(db, faq_csv):
    store = KnowledgeStore(db)
    store.ingest("support", read_faq(faq_csv), NamedEncoder("words", WordEncoder()))
    with pytest.raises(ConflictError, match="words vectors"):
        store.ingest("support", read_faq(faq_csv), NamedEncoder("other", WordEncoder()))


def test_handoffs_are_stored_newest_first(db):
    store = KnowledgeStore(db)
    store.record_handoff("support", "first?", "low confidence", confidence=0.2)
    store.record_handoff("support", "second?", "transfer_money", intent="transfer_money")
    rows = store.handoffs("support")
    assert [r.question for r in rows] == ["second?", "first?"]
    assert rows[1].confidence == pytest.approx(0.2) and rows[0].intent == "transfer_money"
