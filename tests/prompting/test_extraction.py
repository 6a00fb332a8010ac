"""Entity extraction by prompting: lenient JSON reading, span mapping, retries, no crashes."""

from __future__ import annotations

import pytest

from open_interpreter.prompting import extract_entities, locate_entities, parse_entities
from open_interpreter.prompting.extraction import EntityParseError

TYPES = ["person", "location", "organisation"]


@pytest.mark.parametrize(
    "answer",
    [
        '[{"text": "Ann", "type": "person"}, {"text": "Paris", "type": "location"}]',
        '```json\n[{"text": "Ann", "type": "person"},\n'
        ' {"text": "Paris", "type": "location"}]\n```',
        'Sure! Here are the entities:\n[{"text": "Ann", "type": "person"}, '
        '{"text": "Paris", "type": "location"}]\nLet me know if you need more.',
        "[{'text': 'Ann', 'type': 'person'}, {'text': 'Paris', 'type': 'location'}]",
        '[{"text": "Ann", "type": "person"}, {"text": "Paris", "type": "location"},]',
        '{"entities": [{"entity": "Ann", "label": "person"},'
        ' {"entity": "Paris", "label": "location"}]}',
        '{"person": ["Ann"], "location": "Paris"}',
        '{"Ann": "person", "Paris": "location"}',
        '[["Ann", "person"], ["Paris", "location"]]',
        '[{"text": "Ann", "type": "person"}, {"text": "Paris", "type": "location"}, {"text": "Fr',
    ],
    ids=[
        "plain",
        "code-fence",
        "chatter-around",
        "single-quotes",
        "trailing-comma",
        "entities-key",
        "by-type",
        "by-text",
        "pairs",
        "cut-short",
    ],
)
def test_answers_in_many_shapes_are_read(answer):
    assert parse_entities(answer, TYPES) == [("Ann", "person"), ("Paris", "location")]


@pytest.mark.parametrize(
    "answer", ["There are no entities.", "[{'text': 'Ann', 'type': ", "{not json at all}"]
)
def test_unreadable_answers_raise_a_data_error(answer):
    with pytest.raises(EntityParseError):
        parse_entities(answer, TYPES)


def test_items_without_text_or_type_are_skipped():
    answer = '[{"text": "Ann"}, {"type": "person"}, 42, {"text": "Bo", "type": "person"}]'
    assert parse_entities(answer, TYPES) == [("Bo", "person")]
    assert parse_entities("[]", TYPES) == []


def test_entities_map_to_character_spans_of_the_input():
    text = "Ann met ann and ANN in New  York, then Ann again."
    pairs = [("Ann", "person"), ("ann", "Person"), ("new york", "location"), ("Ann", "person")]
    entities, unmatched = locate_entities(text, pairs, TYPES)
    assert unmatched == []
    assert [(e.type, e.text, e.start, e.end) for e in entities] == [
        ("person", "Ann", 0, 3),
        ("person", "ann", 8, 11),
        ("location", "New  York", 23, 32),
        ("person", "Ann", 39, 42),
    ]
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text


def test_entities_not_in_the_text_or_of_other_types_are_reported():
    entities, unmatched = locate_entities(
        "Ann went home.", [("Bob", "person"), ("Ann", "animal"), ("Ann", "person")], TYPES
    )
    assert [e.text for e in entities] == ["Ann"]
    assert [m["reason"] for m in unmatched] == ["not in the text", "type not asked for"]


def test_an_unreadable_answer_is_asked_again_and_then_reported(monkeypatch):
    answers = iter(
        [
            ["I think Ann is a person.", '[{"text": "Paris", "type": "location"}]'],
            ['```json\n[{"text": "Ann", "type": "person"}]\n```'],
        ]
    )
    asked = []

    def fake_generate(model, tokenizer, prompts, settings, **_):
        asked.append(prompts)
        return next(answers)

    monkeypatch.setattr("open_interpreter.generation.generate", fake_generate)
    results = extract_entities(None, None, ["Ann is here.", "To Paris."], TYPES)
    assert [r.error for r in results] == [None, None]
    assert results[0].attempts == 2 and results[1].attempts == 1
    assert results[0].entities[0].start == 0 and results[1].entities[0].text == "Paris"
    retry = asked[1][0]
    assert retry[-2] == {"role": "assistant", "content": "I think Ann is a person."}
    assert "could not be read" in retry[-1]["content"]

    monkeypatch.setattr(
        "open_interpreter.generation.generate", lambda *a, **k: ["no JSON"] * len(a[2])
    )
    failed = extract_entities(None, None, ["Ann is here."], TYPES, retries=2)[0]
    assert failed.entities == [] and failed.attempts == 3
    assert "no JSON list or object" in failed.error
    assert failed.to_dict()["answer"] == "no JSON"
