import pytest

from open_interpreter.apps.assistant import Assistant, StoreDirectory
from open_interpreter.apps.assistant.store import KnowledgeStore
from open_interpreter.apps.assistant.understanding import Parse
from open_interpreter.errors import DataError

STORES = StoreDirectory([{"id": "1", "store_name": "23 Elm Street", "open_time": "7:00",
                          "close_time": "19:00", "phone_number": "541-555-1100"}])  # fmt: skip


class FixedUnderstanding:
    """Reads every question as the intent and slots it was made with."""

    def __init__(self, intent, slots=None):
        self.result = Parse(intent, 0.97, slots or {})

    def parse(self, question):
        return self.result


def test_ask_answers_from_the_best_entry_and_cites_it(faq_csv, word_encoder):
    assistant = Assistant.from_faq(faq_csv, encoder=word_encoder, threshold=0.3)
    reply = assistant.ask("How long does a building permit take?")
    assert reply.route == "faq" and not reply.handed_off
    assert reply.answer == "The processing time for a building permit is ten weeks."
    best = reply.citations[0]
    assert (best.id, best.source, best.fused_rank, best.bm25_rank, best.dense_rank) == (
        "permit-1", "PBL 9", 1, 1, 1,
    )  # fmt: skip
    assert len(reply.citations) == 3 and reply.confidence == best.cosine
    assert {"understand", "retrieve", "total"} <= set(reply.timings_ms)
    assert reply.to_dict()["citations"][0]["id"] == "permit-1"


def test_low_confidence_hands_off_and_is_stored(db, faq_csv, word_encoder):
    assistant = Assistant.from_faq(faq_csv, encoder=word_encoder, database=db, threshold=0.5)
    reply = assistant.ask("Who won the football match yesterday?")
    assert reply.handed_off and reply.answer is None and reply.route == "handoff"
    assert "below the threshold 0.50" in reply.handoff_reason
    rows = KnowledgeStore(db).handoffs("faq")
    assert [(r.question, r.confidence) for r in rows] == [
        (reply.question, pytest.approx(reply.confidence))
    ]


def test_from_database_reuses_the_stored_vectors(db, faq_csv, word_encoder):
    Assistant.from_faq(faq_csv, encoder=word_encoder, database=db, name="support")
    again = Assistant.from_database("support", db, encoder=word_encoder, threshold=0.3)
    assert again.ask("fence permission?").citations[0].id == "garden-1"


@pytest.mark.parametrize(
    ("intent", "slots", "route", "answer_part"),
    [
        ("get_store_hours", {"store_name": "Elm Street"}, "store", "open from 7:00 to 19:00"),
        ("get_store_number", {"store_name": "elm st"}, "store", "541-555-1100"),
        ("get_store_hours", {"store_name": "Krusty Burger"}, "handoff", None),
        ("greet", {}, "small_talk", "Hello"),
        ("transfer_money", {}, "handoff", None),
    ],
)
def test_intents_route_to_stores_small_talk_or_a_person(
    faq_csv, word_encoder, intent, slots, route, answer_part
):
    assistant = Assistant.from_faq(
        faq_csv, encoder=word_encoder, understanding=FixedUnderstanding(intent, slots),
        stores=STORES,
    )  # fmt: skip
    reply = assistant.ask("a question")
    assert (reply.route, reply.intent, reply.slots) == (route, intent, slots)
    if answer_part is None:
        assert reply.handed_off and reply.answer is None and reply.handoff_reason
    else:
        assert answer_part in reply.answer and not reply.handed_off


def test_store_name_is_read_from_the_question_without_a_slot(faq_csv, word_encoder):
    assistant = Assistant.from_faq(
        faq_csv, encoder=word_encoder, understanding=FixedUnderstanding("get_store_hours"),
        stores=STORES,
    )  # fmt: skip
    reply = assistant.ask("When does the Elm Street Kwik-E-Mart close?")
    assert reply.citations[0].source == "stores.json" and "19:00" in reply.answer


def test_calibrate_picks_a_threshold_between_in_and_out_of_scope(faq_csv, word_encoder):
    assistant = Assistant.from_faq(faq_csv, encoder=word_encoder)
    inside = ["How long does a building permit take?", "Do I need permission for a fence?"]
    outside = ["Who won the football match yesterday?", "Best pizza in Rome"]
    threshold = assistant.calibrate(inside, outside)
    scores_in, scores_out = assistant.confidences(inside), assistant.confidences(outside)
    assert max(scores_out) < threshold < min(scores_in)


def test_bad_questions_are_clear_errors(faq_csv, word_encoder):
    assistant = Assistant.from_faq(faq_csv, encoder=word_encoder)
    for question in ("", "   ", "x" * 2001, None):
        with pytest.raises(DataError, match="1 to 2000 characters"):
            assistant.ask(question)
