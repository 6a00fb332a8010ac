"""Documents from Python, JSONL and CSV; malformed lines named; replay order and pacing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from open_interpreter.apps.monitor.documents import (
    Document,
    parse_time,
    read_documents,
    replay,
    to_document,
)
from open_interpreter.errors import ConfigError, DataError


def doc(i: int, minute: int) -> dict:
    return {
        "id": f"d{i}",
        "time": f"2024-05-01T09:{minute:02d}:00Z",
        "source": "wire",
        "text": f"text {i}",
    }


def test_times_are_read_as_naive_utc():
    assert parse_time("2024-05-01T09:30:00+02:00") == datetime(2024, 5, 1, 7, 30)
    assert parse_time("2024-05-01T09:30:00Z") == datetime(2024, 5, 1, 9, 30)
    assert parse_time(0) == datetime(1970, 1, 1)
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_a_document_missing_fields_names_them():
    with pytest.raises(DataError, match="missing source, text"):
        to_document({"id": "1", "time": "2024-01-01"}, source="batch", line=3)


def test_jsonl_is_read_and_a_bad_line_gives_its_number(tmp_path):
    good = tmp_path / "news.jsonl"
    good.write_text("\n".join(json.dumps(doc(i, i)) for i in range(3)) + "\n\n")
    documents = read_documents(good)
    assert [d.id for d in documents] == ["d0", "d1", "d2"]
    assert documents[1].time == datetime(2024, 5, 1, 9, 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(doc(0, 0)) + "\n{not json\n")
    with pytest.raises(DataError, match=r"bad.jsonl:2: not JSON"):
        read_documents(bad)
    bad.write_text(json.dumps(doc(0, 0)) + "\n" + json.dumps({**doc(1, 1), "time": "soon"}))
    with pytest.raises(DataError, match=r"bad.jsonl:2: bad time 'soon'"):
        read_documents(bad)


def test_csv_is_read_and_bad_rows_give_their_line(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text('id,time,source,text\n1,2024-05-01T09:00:00,wire,"Shares, fell"\n')
    assert read_documents(path)[0].text == "Shares, fell"
    path.write_text("id,time,source,text\n1,2024-05-01T09:00:00,wire,ok\n2,,wire,no time\n")
    with pytest.raises(DataError, match=r"news.csv:3: document is missing time"):
        read_documents(path)
    path.write_text("id,when,text\n")
    with pytest.raises(DataError, match=r"news.csv:1: the header lacks time, source"):
        read_documents(path)


def test_other_formats_and_empty_files_are_refused(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(DataError, match=r"\.jsonl or \.csv"):
        read_documents(tmp_path / "a.txt")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(DataError, match="no documents"):
        read_documents(tmp_path / "e.jsonl")


def test_replay_yields_time_order_in_batches_and_waits_at_speed():
    documents = [to_document(doc(i, minute)) for i, minute in enumerate([10, 0, 5, 5])]
    fast = list(replay(documents, batch_size=3))
    assert [[d.id for d in b] for b in fast] == [["d1", "d2", "d3"], ["d0"]]
    waits: list[float] = []
    paced = list(replay(documents, speed=60, batch_size=10, sleep=waits.append))
    # 60x: 5 minutes of news pass in about 5 seconds; each wait closes the batch before it
    assert [[d.id for d in b] for b in paced] == [["d1"], ["d2", "d3"], ["d0"]]
    assert [round(w) for w in waits] == [5, 5]
    with pytest.raises(ConfigError, match="speed"):
        list(replay(documents, speed=0))


def test_document_to_dict_round_trips():
    document = Document("1", datetime(2024, 1, 1, 9), "wire", "hi")
    assert to_document(document.to_dict()) == document
