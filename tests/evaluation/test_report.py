"""EvaluationReport: its fields per task, reading as its accuracy, text, JSON round trip."""

from __future__ import annotations

import json

import pytest

from open_interpreter.errors import DataError
from open_interpreter.evaluation import EvaluationReport


def test_classification_fields(cls_report):
    assert cls_report.task == "sequence-classification"
    assert cls_report.accuracy == 0.75
    assert cls_report.labels == ["neg", "pos"]
    assert cls_report.confusion_matrix == [[1, 1], [0, 2]]
    assert cls_report.num_examples == 4
    assert cls_report.split == "test"
    assert cls_report.entities is None
    assert cls_report.entity_f1 is None
    assert cls_report.headline == 0.75
    assert cls_report.macro_f1 == pytest.approx(cls_report.report.macro.f1)
    assert cls_report.metrics() == {"accuracy": 0.75, "macro_f1": cls_report.macro_f1}


def test_token_classification_fields(ner_report):
    assert ner_report.accuracy == 0.75  # 3 of 4 tokens
    assert ner_report.num_examples == 1
    assert ner_report.report.labels == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    assert ner_report.confusion_matrix[3][5] == 1  # gold B-LOC predicted as B-ORG
    assert ner_report.headline == 0.5
    assert ner_report.metrics() == {
        "accuracy": 0.75,
        "macro_f1": ner_report.macro_f1,
        "entity_f1": 0.5,
        "entity_precision": 0.5,
        "entity_recall": 0.5,
        "loss": 0.25,
    }


def test_report_reads_as_its_accuracy(cls_report):
    assert f"{cls_report:.2f}" == "0.75"
    assert format(cls_report, ".1%") == "75.0%"
    assert float(cls_report) == 0.75
    assert cls_report > 0.5 and cls_report >= 0.75 and cls_report <= 0.75 and cls_report < 1
    assert 0.5 < cls_report  # noqa: SIM300 - the reflected comparison is under test
    assert f"{cls_report}" == str(cls_report) == format(cls_report, "")
    with pytest.raises(TypeError):
        _ = cls_report < "0.5"


def test_str_has_header_and_tables(ner_report, cls_report):
    text = str(ner_report)
    assert text.splitlines()[0] == (
        "token-classification on dev: 1 sentence (4 tokens), accuracy 0.750, "
        "macro-F1 0.429, entity F1 0.500, loss 0.2500"
    )
    assert "Token level" in text and "Entity level" in text
    assert str(ner_report.report) in text and str(ner_report.entities) in text
    assert str(cls_report).splitlines()[0] == (
        "sequence-classification on test: 4 examples, accuracy 0.750, macro-F1 0.733"
    )


def test_json_round_trip(ner_report, cls_report, tmp_path):
    for report in (ner_report, cls_report):
        data = json.loads(report.to_json())
        assert EvaluationReport.from_dict(data) == report
        assert EvaluationReport.load(report.save(tmp_path / "runs" / "eval.json")) == report
    assert list(json.loads(ner_report.to_json())["report"])[-3:] == [
        "micro avg",
        "macro avg",
        "weighted avg",
    ]


def test_from_dict_names_a_missing_field(cls_report):
    data = cls_report.to_dict()
    del data["accuracy"]
    with pytest.raises(DataError, match="'accuracy'"):
        EvaluationReport.from_dict(data)


def test_labels_without_examples_are_named_under_the_table(ner_report, cls_report):
    text = str(ner_report)
    note = next(line for line in text.splitlines() if line.startswith("No examples here of"))
    assert note.startswith("No examples here of I-LOC, B-ORG, I-ORG (support 0): scored 0 and")
    assert "counted in macro avg" in note
    present = [s.f1 for s in ner_report.report.per_label.values() if s.support]
    assert note.endswith(f"macro-F1 over the 4 labels present: {sum(present) / 4:.3f}")
    assert text.index(note) < text.index("Entity level")  # under the token table
    assert ner_report.macro_f1 == pytest.approx(ner_report.report.macro.f1)  # still included
    assert "No examples here" not in str(cls_report)  # every label has examples
