import json

import pytest

from open_interpreter.apps.assistant.stores import StoreDirectory, hours_answer
from open_interpreter.errors import DataError

STORES = [
    {"id": "1", "store_name": "23 Elm Street", "open_time": "7:00", "close_time": "19:00",
     "phone_number": "541-555-1100"},
    {"id": "2", "store_name": "Central Plaza Store", "open_time": "8:00", "close_time": "20:00"},
]  # fmt: skip


def test_find_matches_names_as_customers_say_them():
    stores = StoreDirectory(STORES)
    assert stores.find("Elm Street").store["id"] == "1"
    assert stores.find("elm st").store["id"] == "1"
    assert stores.find("the central plaza").store["id"] == "2"
    assert stores.find("Krusty Burger") is None
    assert stores.find("store") is None


def test_find_in_reads_the_name_out_of_a_question():
    match = StoreDirectory(STORES).find_in("When does the Central Plaza Kwik-E-Mart close?")
    assert match.store["id"] == "2" and match.similarity == 1.0


def test_hours_answer_names_hours_and_phone():
    assert hours_answer(STORES[0]) == (
        "The 23 Elm Street store is open from 7:00 to 19:00. Its phone number is 541-555-1100."
    )


def test_from_json_reports_bad_files(tmp_path):
    path = tmp_path / "stores.json"
    path.write_text(json.dumps(STORES))
    assert len(StoreDirectory.from_json(path).stores) == 2
    path.write_text('[{"store_name": "x"},\n oops]')
    with pytest.raises(DataError, match="line 2"):
        StoreDirectory.from_json(path)
    path.write_text('[{"name": "x"}]')
    with pytest.raises(DataError, match="store_name"):
        StoreDirectory.from_json(path)


KWIK_E_MART_NAMES = [
    {"id": str(i), "store_name": name}
    for i, name in enumerate(
        ["23 Elm Street", "West Oak Street", "East Oak Street", "D Street", "156th Street",
         "Pine and Market", "Evergreen Terrace"]
    )
]  # fmt: skip


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        # Kwik-E-Mart's own utterances that whole-name matching got wrong: the shared
        # "street" decided ("e oak street" -> West Oak Street, "main street" -> 23 Elm Street)
        ("e oak street", "East Oak Street"),
        ("w oak st", "West Oak Street"),
        ("Main Street", None),
        ("fake street", None),
        ("gerard street", None),
        ("clown street", None),
        ("south oak", None),
        ("Pine & Market", "Pine and Market"),
        ("evergreen", "Evergreen Terrace"),
        ("elm st", "23 Elm Street"),
        ("terrace", None),
    ],
)
def test_find_compares_the_words_that_tell_stores_apart(spoken, expected):
    match = StoreDirectory(KWIK_E_MART_NAMES).find(spoken)
    assert (match.store["store_name"] if match else None) == expected
