import pytest

from open_interpreter.apps.assistant.intents import parse_markup, read_intent_data, words
from open_interpreter.errors import DataError


def test_parse_markup_gives_words_and_bio_tags():
    tokens, tags = parse_markup("When does the {Elm Street|store_name} store close?")
    assert tokens == ["When", "does", "the", "Elm", "Street", "store", "close", "?"]
    assert tags == ["O", "O", "O", "B-store_name", "I-store_name", "O", "O", "O"]


def test_parse_markup_drops_roles_and_keeps_the_entity_type():
    tokens, tags = parse_markup("Move {100k|sys_amount-of-money} to {savings|account_type|dest}")
    assert tokens == ["Move", "100k", "to", "savings"]
    assert tags == ["O", "B-sys_amount-of-money", "O", "B-account_type"]


def test_malformed_markup_is_an_error():
    with pytest.raises(DataError, match="malformed entity markup"):
        parse_markup("open at {noon on Sunday")


def test_words_keep_contractions_and_split_punctuation():
    assert words("What's open, Apu?") == ["What's", "open", ",", "Apu", "?"]


def test_read_intent_data_reads_both_splits_and_names_bad_lines(tmp_path):
    hours = tmp_path / "domains" / "store_info" / "get_store_hours"
    hours.mkdir(parents=True)
    (hours / "train.txt").write_text("When does {Elm Street|store_name} open?\n\nHours?\n")
    (hours / "test.txt").write_text("Is {Main St|store_name} open\n")
    greet = tmp_path / "domains" / "store_info" / "greet"
    greet.mkdir()
    (greet / "train.txt").write_text("hello\n")
    data = read_intent_data(tmp_path)
    assert (len(data["train"]), len(data["test"])) == (3, 1)
    assert data["train"].intents == ["get_store_hours", "get_store_hours", "greet"]
    assert data["test"].tags == [["O", "B-store_name", "I-store_name", "O"]]
    (greet / "train.txt").write_text("hello\nhi {there\n")
    with pytest.raises(DataError, match=r"store_info/greet/train.txt, line 2"):
        read_intent_data(tmp_path)
    with pytest.raises(DataError, match="no intent folders"):
        read_intent_data(tmp_path / "domains")


def test_unique_drops_repeated_utterances_only():
    from open_interpreter.apps.assistant.intents import IntentData

    data = IntentData()
    for line, intent in [("hi", "greet"), ("hi", "greet"), ("hi", "exit"), ("bye", "exit")]:
        data.add(line, intent)
    kept = data.unique()
    assert kept.texts == ["hi", "hi", "bye"]
    assert kept.intents == ["greet", "exit", "exit"]
