"""The alias table (gazetteer) and a NER model's entities normalised through it."""

from __future__ import annotations

import json

import pytest

from open_interpreter.apps.monitor.entities import AliasTable, EntityFinder, Mention
from open_interpreter.errors import ConfigError, DataError

TABLE = {
    "Apple": {"type": "company", "aliases": ["Apple Inc", "AAPL"]},
    "Tim Cook": {"type": "person", "aliases": ["Cook"]},
}


def test_the_gazetteer_finds_whole_aliases_once_each_longest_first():
    table = AliasTable(TABLE)
    found = table.find("Apple Inc (AAPL) said Tim Cook will speak; Apple rose. Pineapple fell.")
    assert found == [Mention("Apple", "company"), Mention("Tim Cook", "person")]
    assert found[0].key == "entity:Apple"
    assert table.find("apple pie") == []  # the gazetteer is case-sensitive
    assert table.canonical("apple inc") == "Apple"  # lookups of found names are not


def test_the_table_is_edited_saved_and_loaded(tmp_path):
    table = AliasTable(TABLE)
    table.add("HSBC", "company", ["HSBC Holdings"])
    assert [m.name for m in table.find("HSBC Holdings and Apple")] == ["HSBC", "Apple"]
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps(table.to_dict()))
    assert AliasTable.load(path).to_dict() == table.to_dict()
    path.write_text("{oops")
    with pytest.raises(DataError, match=r"aliases.json:1: not JSON"):
        AliasTable.load(path)


def test_bad_entries_are_refused():
    with pytest.raises(ConfigError, match="needs a type"):
        AliasTable({"Apple": {"type": "fruit", "aliases": []}})
    with pytest.raises(ConfigError, match="belongs to both 'Apple' and 'Apple Music'"):
        AliasTable(
            {
                "Apple": {"type": "company", "aliases": ["AAPL"]},
                "Apple Music": {"type": "company", "aliases": ["aapl"]},
            }
        )


def test_ner_entities_are_normalised_through_the_table(tiny_ner_model_dir):
    from open_interpreter.bundle import ModelBundle

    ner = ModelBundle.load(tiny_ner_model_dir)
    finder = EntityFinder(AliasTable({"Acme": {"type": "company", "aliases": ["acme corp"]}}), ner)
    assert finder.method == "ner+gazetteer"
    [found] = finder.find(["john works at acme corp in paris"])
    # the tiny model tags john as PER and "acme corp" as ORG (and paris as LOC: not kept)
    assert found == [Mention("Acme", "company"), Mention("john", "person")] or found == [
        Mention("john", "person"),
        Mention("Acme", "company"),
    ]
    assert EntityFinder(AliasTable()).find(["john works at acme corp"]) == [[]]
