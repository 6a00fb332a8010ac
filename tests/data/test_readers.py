"""The file readers: every format, every tolerated quirk, every error's file and line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from open_interpreter.data import (
    TextExamples,
    TokenExamples,
    read_conll,
    read_file,
    read_jsonl,
    read_table,
)
from open_interpreter.errors import ConfigError, DataError

CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def error_of(call, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        call(*args, **kwargs)
    return info.value


# CoNLL


def test_read_conll_2003_four_columns_skips_docstart(tmp_path: Path) -> None:
    examples = read_conll(write(tmp_path, "eng.testa", CONLL_2003))
    assert examples.tokens == [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"]]
    assert examples.tags == [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"]]
    assert examples.source.endswith("eng.testa")


def test_read_conll_tab_separated_keeps_spaces_in_words(tmp_path: Path) -> None:
    path = write(tmp_path, "ner.txt", "New York\tB-LOC\nis\tO\n\t\nhi\tO\n")
    examples = read_conll(path)
    assert examples.tokens == [["New York", "is"], ["hi"]]
    assert examples.tags == [["B-LOC", "O"], ["O"]]


def test_read_conll_tolerates_crlf_trailing_space_blank_runs_no_final_newline(
    tmp_path: Path,
) -> None:
    text = "\r\n\r\nEU B-ORG  \r\nrejects O\r\n\r\n\r\n\r\nPeter B-PER\r\nBlackburn I-PER"
    examples = read_conll(write(tmp_path, "a.conll", text))
    assert examples.tokens == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert examples.tags == [["B-ORG", "O"], ["B-PER", "I-PER"]]


def test_read_conll_tag_column_picks_another_column(tmp_path: Path) -> None:
    examples = read_conll(write(tmp_path, "a.conll", CONLL_2003), tag_column=2)
    assert examples.tags[0] == ["B-NP", "B-VP", "B-NP", "I-NP"]


def test_read_conll_tag_column_out_of_range_names_the_line(tmp_path: Path) -> None:
    error = error_of(read_conll, write(tmp_path, "a.conll", CONLL_2003), tag_column=7)
    assert "tag_column=7" in str(error)
    assert error.line == 3


def test_read_conll_single_column_line_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.conll", "EU B-ORG\nrejects\n")
    error = error_of(read_conll, path)
    assert error.source == str(path)
    assert error.line == 2
    assert f"{path}:2:" in str(error)
    assert "one column" in str(error)


def test_read_conll_column_count_change_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.conll", "EU NNP B-NP B-ORG\nrejects\n\nGerman JJ B-MISC\n")
    assert error_of(read_conll, path).line == 2
    path = write(tmp_path, "bad2.conll", "EU NNP B-NP B-ORG\n\nGerman JJ B-MISC\n")
    error = error_of(read_conll, path)
    assert error.line == 3
    assert "3 columns" in str(error)
    assert "has 4" in str(error)


def test_read_conll_bad_byte_names_line_and_encoding_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.conll", "EU B-ORG\n\nM\xfcnchen B-LOC\n".encode("latin-1"))
    error = error_of(read_conll, path)
    assert error.line == 3
    assert str(path) in str(error)
    assert "encoding=" in str(error)
    assert read_conll(path, encoding="latin-1").tokens[1] == ["München"]


def test_unknown_encoding_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown encoding"):
        read_conll(write(tmp_path, "a.conll", "EU B-ORG\n"), encoding="klingon")


@pytest.mark.parametrize("text", ["", "\n\n  \n", "-DOCSTART- -X- O O\n\n"])
def test_read_conll_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.conll", text)
    assert "no sentences" in str(error_of(read_conll, path))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.conll"
    for reader in (read_conll, read_table, read_jsonl, read_file):
        error = error_of(reader, path)
        assert "file not found" in str(error)
        assert error.source == str(path)


# CSV and TSV


def test_read_csv_quoted_fields_and_labels_as_strings(tmp_path: Path) -> None:
    text = 'text,label\r\n"Hello, world",1\r\n"He said ""hi""\nthen left", neg \r\n'
    examples = read_table(write(tmp_path, "a.csv", text))
    assert examples == TextExamples(["Hello, world", 'He said "hi"\nthen left'], ["1", "neg"])


def test_read_tsv_takes_quotes_literally(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", 'sentence\tlabel\n"quoted" start\tpos\n\nplain\tneg\n')
    examples = read_table(path, text_column="sentence")
    assert examples.texts == ['"quoted" start', "plain"]
    assert examples.labels == ["pos", "neg"]


def test_read_table_text_pairs(tmp_path: Path) -> None:
    path = write(tmp_path, "pairs.csv", "premise,hypothesis,label\nA cat.,An animal.,entail\n")
    examples = read_table(path, text_column="premise", text_pair_column="hypothesis")
    assert examples.text_pairs == ["An animal."]


def test_read_table_missing_column_lists_columns_present(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "sentence,sentiment\nfine,pos\n")
    error = error_of(read_table, path)
    assert "'text'" in str(error)
    assert "['sentence', 'sentiment']" in str(error)
    error = error_of(read_table, path, text_column="sentence")
    assert "'label'" in str(error)


def test_read_table_without_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text\nfine\n")
    assert read_table(path, require_labels=False).labels is None
    path = write(tmp_path, "b.csv", "text,label\nfine,\nok,\n")
    assert read_table(path, require_labels=False).labels is None


def test_read_table_empty_text_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'text,label\nfine,pos\n\n"multi\nline",neg\n  ,pos\n')
    error = error_of(read_table, path)
    assert error.line == 6
    assert f"{path}:6:" in str(error)
    assert "'text' is empty" in str(error)


def test_read_table_empty_label_names_the_line(tmp_path: Path) -> None:
    error = error_of(read_table, write(tmp_path, "a.csv", "text,label\nfine,pos\nok,\n"))
    assert error.line == 3
    assert "'label' is empty" in str(error)


def test_read_table_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    error = error_of(read_table, write(tmp_path, "a.tsv", "text\tlabel\nfine\tpos\textra\n"))
    assert error.line == 2
    assert "3 fields" in str(error)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("text,label\n", "no rows"), ("text,text\na,b\n", "repeats")],
)
def test_read_table_empty_or_bad_header(tmp_path: Path, text: str, message: str) -> None:
    assert message in str(error_of(read_table, write(tmp_path, "a.csv", text)))


def test_read_table_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="format="):
        read_table(write(tmp_path, "a.csv", "text,label\na,b\n"), format="jsonl")  # type: ignore[arg-type]


# JSON Lines


def jsonl(*records: object) -> str:
    return "\n".join(json.dumps(record) for record in records) + "\n"


def test_read_jsonl_texts_keep_int_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.jsonl", jsonl({"text": "good", "label": 1}, {"text": "bad", "label": 0})
    )
    assert read_jsonl(path) == TextExamples(["good", "bad"], [1, 0])


def test_read_jsonl_tokens_and_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", jsonl({"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}))
    assert read_jsonl(path) == TokenExamples([["EU", "rejects"]], [["B-ORG", "O"]])
    path = write(tmp_path, "b.jsonl", jsonl({"tokens": ["Hi"], "ner_tags": ["O"]}))
    assert read_jsonl(path).tags == [["O"]]


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"text": "bad", "label": ', "not valid JSON"),
        ('["bad", 0]', "expected one JSON object"),
        ('{"label": 0}', "no column 'text'; columns present: ['label']"),
        ('{"text": 5, "label": 0}', "'text' is an int, not a string"),
        ('{"text": "ok", "label": null}', "'label' is missing"),
        ('{"text": "ok", "label": 0.5}', "'label' is a float"),
        ('{"text": "ok", "label": "zero"}', "labels mix 1"),
    ],
)
def test_read_jsonl_bad_line_names_the_line(tmp_path: Path, second_line: str, message: str) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "good", "label": 1}\n' + second_line + "\n")
    error = error_of(read_jsonl, path)
    assert error.line == 2
    assert f"{path}:2:" in str(error)
    assert message in str(error)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"tokens": ["EU", "rejects"], "tags": ["B-ORG"]}, "2 tokens but 1 tags"),
        ({"tokens": ["EU"], "tags": [3]}, "holds integers"),
        ({"tokens": [], "tags": []}, "empty list"),
        ({"tokens": "EU", "tags": ["O"]}, "not a list"),
    ],
)
def test_read_jsonl_bad_token_record_names_the_line(
    tmp_path: Path, record: dict[str, object], message: str
) -> None:
    path = write(tmp_path, "a.jsonl", jsonl({"tokens": ["Hi"], "tags": ["O"]}, record))
    error = error_of(read_jsonl, path)
    assert error.line == 2
    assert message in str(error)


def test_read_jsonl_token_data_without_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", jsonl({"tokens": ["Hi"]}))
    assert "no 'tags' or 'ner_tags'" in str(error_of(read_jsonl, path))
    assert read_jsonl(path, require_labels=False).tags is None


def test_read_jsonl_json_array_file_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", json.dumps([{"text": "a", "label": 0}]))
    assert "JSON Lines" in str(error_of(read_jsonl, path))


def test_read_jsonl_empty(tmp_path: Path) -> None:
    assert "no records" in str(error_of(read_jsonl, write(tmp_path, "a.jsonl", "\n\n")))


# read_file: dispatch and sniffing


@pytest.mark.parametrize("name", ["eng.train", "eng.testa", "wnut.txt", "data", "x.conll"])
def test_read_file_sniffs_conll(tmp_path: Path, name: str) -> None:
    assert isinstance(read_file(write(tmp_path, name, CONLL_2003)), TokenExamples)


def test_read_file_sniffs_tab_separated_conll_with_bioes_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "ner", "New York\tB-LOC\ncity\tE-LOC\n\nHi\tO\nParis\tS-LOC\n")
    assert read_file(path).tags == [["B-LOC", "E-LOC"], ["O", "S-LOC"]]


def test_read_file_by_extension(tmp_path: Path) -> None:
    assert read_file(write(tmp_path, "a.csv", "text,label\na,b\n")).labels == ["b"]
    assert read_file(write(tmp_path, "a.tsv", "text\tlabel\na,b\tc\n")).texts == ["a,b"]
    assert read_file(write(tmp_path, "a.jsonl", jsonl({"text": "a", "label": 2}))).labels == [2]
    assert read_file(write(tmp_path, "a.json", jsonl({"text": "a", "label": 2}))).labels == [2]


def test_read_file_sniffs_jsonl_and_passes_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "data.txt", jsonl({"review": "a", "stars": 5}))
    assert read_file(path, text_column="review", label_column="stars").labels == [5]


def test_read_file_explicit_format_overrides_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "data.txt", "text\tlabel\nhello\tpos\n")
    assert read_file(path, format="tsv").labels == ["pos"]


def test_read_file_unknown_contents_asks_for_format(tmp_path: Path) -> None:
    error = error_of(read_file, write(tmp_path, "notes.txt", "just some prose\nmore prose\n"))
    assert "format=" in str(error)


def test_read_file_empty(tmp_path: Path) -> None:
    assert "empty" in str(error_of(read_file, write(tmp_path, "empty.txt", "")))
    assert "empty" in str(error_of(read_file, write(tmp_path, "empty.csv", "")))


def test_read_file_reports_malformed_conll_line_after_sniffing(tmp_path: Path) -> None:
    lines = "".join(f"w{i} O\n" for i in range(20)) + "broken\n"
    error = error_of(read_file, write(tmp_path, "a.txt", lines))
    assert error.line == 21


def test_read_file_unknown_format_and_directory(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,label\na,b\n")
    with pytest.raises(ConfigError, match="unknown format"):
        read_file(path, format="xml")  # type: ignore[arg-type]
    assert "not a file" in str(error_of(read_file, tmp_path))


def test_read_conll_200k_lines_is_fast(tmp_path: Path) -> None:
    sentence = "".join(f"word{i} NNP B-NP {'B-PER' if i % 5 == 0 else 'O'}\n" for i in range(20))
    path = write(tmp_path, "big.conll", (sentence + "\n") * 10_000)
    start = time.perf_counter()
    examples = read_conll(path)
    elapsed = time.perf_counter() - start
    assert len(examples) == 10_000
    assert elapsed < 2.0, f"reading 210k lines took {elapsed:.2f}s"
