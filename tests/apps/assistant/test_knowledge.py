import json

import pytest

from open_interpreter.apps.assistant.knowledge import (
    Entry,
    chunk,
    read_document,
    read_faq,
    read_knowledge,
)
from open_interpreter.errors import ConfigError, DataError


def test_read_faq_csv_keeps_ids_sources_and_categories(faq_csv):
    entries = read_faq(faq_csv)
    assert [e.id for e in entries] == ["permit-1", "permit-2", "tax-1", "garden-1"]
    assert entries[0].text == "How long does a building permit take?"
    assert entries[0].answer.startswith("The processing time")
    assert (entries[0].source, entries[0].category) == ("PBL 9", "permit")


def test_read_faq_jsonl_with_long_column_names(tmp_path):
    path = tmp_path / "faq.jsonl"
    rows = [
        {"question": "Q one?", "answer": "A one."},
        {"question": "Q two?", "answer": "A two.", "sources": ["PBL", "BBR 2"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    entries = read_faq(path)
    assert [(e.id, e.text, e.answer, e.source) for e in entries] == [
        ("faq-1", "Q one?", "A one.", "faq.jsonl"),
        ("faq-2", "Q two?", "A two.", "PBL; BBR 2"),
    ]


def test_a_row_without_an_answer_names_its_line(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text('id,q,a\n1,"Fine?",Yes\n2,"Missing?",\n')
    with pytest.raises(DataError, match=r"faq.csv, line 3: .*a or answer"):
        read_faq(path)


def test_bad_json_and_repeated_ids_name_their_line(tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text('{"q": "a?", "a": "b"}\n{not json\n')
    with pytest.raises(DataError, match="line 2: not JSON"):
        read_faq(path)
    path.write_text('{"id": "x", "q": "a?", "a": "b"}\n{"id": "x", "q": "c?", "a": "d"}\n')
    with pytest.raises(DataError, match="line 2: id 'x' appears twice"):
        read_faq(path)


def test_content_hash_changes_with_the_answer_only_when_it_changes():
    one, same, other = Entry("1", "q", "a"), Entry("1", "q", "a"), Entry("1", "q", "a!")
    assert one.content_hash == same.content_hash != other.content_hash
    assert one.search_text == "q\na"
    assert Entry("p", "passage", "passage").search_text == "passage"


def test_chunk_overlaps_and_covers_every_word():
    words = [str(i) for i in range(10)]
    pieces = chunk(words, 4, 1)
    assert pieces == [["0", "1", "2", "3"], ["3", "4", "5", "6"], ["6", "7", "8", "9"]]
    assert chunk(words[:3], 4, 1) == [["0", "1", "2"]]


def test_read_document_chunks_within_markdown_sections(tmp_path):
    path = tmp_path / "guide.md"
    body = " ".join(f"w{i}" for i in range(25))
    path.write_text(f"intro words here\n\n# Permits\n{body}\n\n## Fees\nfees are low\n")
    entries = read_document(path, chunk_words=10, overlap_words=2)
    assert [e.category for e in entries] == ["", "Permits", "Permits", "Permits", "Fees"]
    assert entries[1].text.split()[-2:] == entries[2].text.split()[:2]
    assert entries[0].answer == entries[0].text == "intro words here"
    assert entries[4].source == "guide.md#chunk-5"


def test_read_knowledge_picks_the_reader_and_rejects_other_files(tmp_path, faq_csv):
    assert len(read_knowledge(faq_csv)) == 4
    (tmp_path / "notes.txt").write_text("one two three")
    assert read_knowledge(tmp_path / "notes.txt")[0].text == "one two three"
    with pytest.raises(ConfigError, match="ends in one of"):
        read_knowledge(tmp_path / "faq.pdf")
    with pytest.raises(ConfigError, match="overlap_words"):
        read_document(tmp_path / "notes.txt", chunk_words=5, overlap_words=5)
    with pytest.raises(DataError, match="no such FAQ file"):
        read_faq(tmp_path / "missing.csv")
