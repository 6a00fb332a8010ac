"""Classification and entity scores: numbers and layout against sklearn / seqeval, input errors."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import pytest

from open_interpreter.errors import ConfigError, DataError, LabelError
from open_interpreter.evaluation import (
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


def test_import_stays_light():
    code = (
        "import sys, open_interpreter.evaluation; "
        "print('sklearn' in sys.modules or 'seqeval' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
