"""Evaluation reports: numbers and layout against sklearn / seqeval, formatting, JSON."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import warnings

import pytest

from open_interpreter.errors import ConfigError, DataError, LabelError
from open_interpreter.evaluation import (
    BeforeAfter,
    EvaluationReport,
    classification_report,
    entity_report,
    evaluate_classification,
    evaluate_token_classification,
)

LABELS = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISCELLANEOUS", "B-PER"]


def _noisy_pairs(n: int = 300, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    gold = [rng.choice(LABELS[:-1]) for _ in range(n)]  # B-PER never gold: zero support
    pred = [g if rng.random() < 0.7 else rng.choice(LABELS) for g in gold]
    return gold, pred


def _sklearn_text(gold: list[str], pred: list[str], labels: list[str]) -> str:
    from sklearn.metrics import classification_report as sk_report

    return sk_report(gold, pred, labels=labels, digits=3, zero_division=0)


GOLD_NER = [["B-PER", "I-PER", "O", "B-LOC"]]
PRED_NER = [["B-PER", "I-PER", "O", "B-ORG"]]
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


# --- ClassificationReport layout -------------------------------------------------------


def _assert_same_as_sklearn(gold: list[str], pred: list[str], labels: list[str]) -> None:
    ours = str(classification_report(gold, pred, labels)).splitlines()
    theirs = _sklearn_text(gold, pred, labels).splitlines()
    # sklearn prints an "accuracy" row instead of "micro avg" when every label is listed.
    assert [line for line in ours if "micro avg" not in line] == [
        line for line in theirs if "accuracy" not in line
    ]
    micro = next(line for line in ours if "micro avg" in line).split()
    accuracy = next(line for line in theirs if "accuracy" in line).split()
    assert micro[2:] == [accuracy[1]] * 3 + [accuracy[2]]


def test_label_rows_match_sklearn_byte_for_byte():
    gold, pred = _noisy_pairs()
    _assert_same_as_sklearn(gold, pred, LABELS)


def test_micro_row_matches_sklearn_for_a_label_subset():
    gold, pred = _noisy_pairs()
    subset = ["B-LOC", "I-LOC", "B-ORG"]
    ours = str(classification_report(gold, pred, subset))
    assert ours + "\n" == _sklearn_text(gold, pred, subset)
    assert "   micro avg " in ours


def test_micro_row_equals_accuracy_when_every_label_is_listed():
    gold, pred = _noisy_pairs()
    report = evaluate_classification(gold, pred, LABELS, task="sequence-classification")
    micro = report.report.micro
    assert micro.precision == micro.recall == micro.f1 == pytest.approx(report.accuracy)
    assert micro.support == len(gold)


def test_label_column_is_as_wide_as_the_longest_name():
    long = "a-very-long-label-name"
    gold, pred = [long, "b", "b"], [long, long, "b"]
    _assert_same_as_sklearn(gold, pred, [long, "b"])
    lines = str(classification_report(gold, pred, [long, "b"])).splitlines()
    assert lines[2].startswith(f"{long} ")
    assert lines[-1].startswith(" " * (len(long) - len("weighted avg")) + "weighted avg ")


def test_zero_support_labels_are_listed_in_model_order():
    report = classification_report(["a", "a"], ["a", "a"], ["c", "a", "b"])
    assert report.labels == ["c", "a", "b"]
    assert report.per_label["c"].support == 0
    assert report.per_label["c"].f1 == 0.0


# --- EntityReport ----------------------------------------------------------------------


def test_entity_scores_by_hand():
    report = entity_report(GOLD_NER, PRED_NER)
    assert report.types == ["LOC", "ORG", "PER"]
    assert report.per_type["PER"].f1 == 1.0
    assert report.per_type["LOC"].f1 == 0.0
    assert report.per_type["LOC"].support == 1
    assert report.per_type["ORG"].f1 == 0.0
    assert report.per_type["ORG"].support == 0
    assert (report.micro.precision, report.micro.recall, report.micro.f1) == (0.5, 0.5, 0.5)
    assert report.macro.f1 == pytest.approx(1 / 3)


def test_strict_mode_does_not_count_an_entity_without_b_tag():
    report = entity_report([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]])
    assert report.micro.precision == 0.0
    assert report.micro.recall == 0.0


def test_entity_report_prints_like_seqeval():
    from seqeval.metrics import classification_report as seqeval_report
    from seqeval.scheme import IOB2

    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-MISC", "O", "B-ORG", "I-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-MISC", "O", "B-ORG", "O"]]
    theirs = seqeval_report(gold, pred, mode="strict", scheme=IOB2, digits=3, zero_division=0)
    assert str(entity_report(gold, pred)) + "\n" == theirs


def test_outside_only_data_scores_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = evaluate_token_classification([["O", "O"], ["O"]], [["O", "O"], ["O"]])
    assert report.entities is not None
    assert report.entities.per_type == {}
    assert report.entity_f1 == 0.0
    assert report.accuracy == 1.0
    assert "micro avg      0.000" in str(report)


def test_undefined_scores_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_token_classification([["B-PER", "O"]], [["O", "B-LOC"]], NER_LABELS)
        evaluate_classification(["a", "a"], ["b", "b"], ["a", "b", "c"], task="sentence-pair")


def test_non_iob2_tag_is_a_data_error():
    with pytest.raises(DataError, match=r"'S-PER' in sentence 1 is not IOB2"):
        entity_report([["O"], ["S-PER"]], [["O"], ["O"]])


# --- EvaluationReport ------------------------------------------------------------------


@pytest.fixture
def ner_report() -> EvaluationReport:
    return evaluate_token_classification(GOLD_NER, PRED_NER, NER_LABELS, loss=0.25, split="dev")


@pytest.fixture
def cls_report() -> EvaluationReport:
    return evaluate_classification(
        ["pos", "neg", "neg", "pos"],
        ["pos", "pos", "neg", "pos"],
        ["neg", "pos"],
        task="sequence-classification",
    )


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
    assert ner_report.report.labels == NER_LABELS
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


# --- Input errors ----------------------------------------------------------------------


def test_mismatched_lengths_name_both():
    with pytest.raises(DataError, match="3 gold labels but 2 predictions"):
        evaluate_classification(["a"] * 3, ["a"] * 2, task="sentence-pair")
    with pytest.raises(DataError, match="2 gold sentences but 1 predicted sentences"):
        evaluate_token_classification([["O"], ["O"]], [["O"]])
    with pytest.raises(DataError, match="sentence 1 has 2 gold tags but 1 predicted tags"):
        evaluate_token_classification([["O"], ["O", "O"]], [["O"], ["O"]])


def test_bad_inputs():
    with pytest.raises(DataError, match="nothing to evaluate"):
        evaluate_classification([], [], task="sentence-pair")
    with pytest.raises(DataError, match="none of the 1 sentences has a tag"):
        evaluate_token_classification([[]], [[]])
    with pytest.raises(LabelError, match=r"\['c'\]"):
        evaluate_classification(["a"], ["c"], ["a", "b"], task="sentence-pair")
    with pytest.raises(ConfigError, match="evaluate_token_classification"):
        evaluate_classification(["a"], ["a"], task="token-classification")  # type: ignore[arg-type]


# --- BeforeAfter -----------------------------------------------------------------------


def test_before_after_table(cls_report):
    before = evaluate_classification(
        ["pos", "neg", "neg", "pos"],
        ["neg", "pos", "pos", "pos"],
        ["neg", "pos"],
        task="sequence-classification",
    )
    compared = BeforeAfter(before, cls_report)
    assert str(compared) == (
        "sequence-classification on test: before → after\n"
        "accuracy  0.250 → 0.750  (+0.500)\n"
        "macro_f1  0.200 → 0.733  (+0.533)"
    )
    assert compared.to_dict()["metrics"]["accuracy"] == {
        "before": 0.25,
        "after": 0.75,
        "change": 0.5,
    }


def test_before_after_needs_same_task_and_split(cls_report, ner_report):
    with pytest.raises(DataError, match="different tasks"):
        BeforeAfter(cls_report, ner_report)
    other = EvaluationReport.from_dict({**cls_report.to_dict(), "split": "validation"})
    with pytest.raises(DataError, match="different splits: 'test', 'validation'"):
        BeforeAfter(cls_report, other)


def test_import_stays_light():
    code = (
        "import sys, open_interpreter.evaluation; "
        "print('sklearn' in sys.modules or 'seqeval' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
