"""Compute evaluation reports from gold and predicted labels.

Per-label numbers come from ``sklearn.metrics.precision_recall_fscore_support`` and
entity numbers from seqeval (``mode="strict"``, ``scheme=IOB2``), both with
``zero_division=0`` so empty classes score 0 instead of warning. Both libraries are
imported inside the functions that need them::

    >>> from open_interpreter.evaluation import evaluate_token_classification
    >>> report = evaluate_token_classification(
    ...     [["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]],
    ...     ["O", "B-PER", "I-PER", "B-LOC", "B-ORG"])
    >>> report.entity_f1
    0.5
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from open_interpreter.errors import ConfigError, DataError, LabelError
from open_interpreter.evaluation.report import (
    AVERAGES,
    ClassificationReport,
    EntityReport,
    EvaluationReport,
    Scores,
    Task,
)

_ZERO = Scores(precision=0.0, recall=0.0, f1=0.0, support=0)


@contextmanager
def _quiet_metrics() -> Iterator[None]:
    # zero_division=0 already decides the value; the warnings would only repeat it.
    from sklearn.exceptions import UndefinedMetricWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        yield


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> ClassificationReport:
    """Score predicted labels against gold labels, per label and averaged.

    Args:
        y_true: Gold label of each example (or token).
        y_pred: Predicted label of each example, in the same order.
        labels: Rows to report, in this order (the model's label order); labels with no
            support are still listed. Defaults to every label seen, sorted. A strict
            subset restricts the averages to those labels, as in sklearn.

    Returns:
        The report; averages carry the summed support of the listed labels.

    Raises:
        DataError: If ``y_true`` and ``y_pred`` differ in length or are empty.

    Example:
        >>> classification_report(["a", "b"], ["a", "a"]).micro.f1
        0.5
    """
    from sklearn.metrics import precision_recall_fscore_support

    _check_same_length(y_true, y_pred, "gold labels", "predictions")
    names = sorted(set(y_true) | set(y_pred)) if labels is None else list(labels)
    gold, pred = list(y_true), list(y_pred)
    with _quiet_metrics():
        p, r, f, s = precision_recall_fscore_support(
            gold, pred, labels=names, average=None, zero_division=0
        )
        total = int(s.sum())
        averages = {}
        for avg in AVERAGES:
            ap, ar, af, _ = precision_recall_fscore_support(
                gold, pred, labels=names, average=avg, zero_division=0
            )
            averages[avg] = Scores(float(ap), float(ar), float(af), total)
    per_label = {
        name: Scores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
        for i, name in enumerate(names)
    }
    return ClassificationReport(per_label=per_label, **averages)


def entity_report(
    true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]
) -> EntityReport:
    """Score predicted IOB2 tag sequences against gold ones at the entity level.

    An entity is found only if its type and exact span match (seqeval strict mode).

    Args:
        true_tags: Gold tags, one list per sentence (``O``, ``B-TYPE``, ``I-TYPE``).
        pred_tags: Predicted tags for the same sentences, same lengths.

    Returns:
        One row per entity type seen on either side, sorted. With no entity anywhere
        there are no rows and every average is 0.

    Raises:
        DataError: If the sentences do not line up or a tag is not in IOB2 form.

    Example:
        >>> entity_report([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]]).micro.f1
        0.0
    """
    _check_sentences(true_tags, pred_tags)
    gold = [list(sentence) for sentence in true_tags]
    pred = [list(sentence) for sentence in pred_tags]
    _check_iob2(gold, "gold")
    _check_iob2(pred, "predicted")
    if all(tag == "O" for sentence in gold + pred for tag in sentence):
        # seqeval would average an empty array here: NaN plus RuntimeWarnings.
        return EntityReport(per_type={}, micro=_ZERO, macro=_ZERO, weighted=_ZERO)

    from seqeval.metrics import classification_report as seqeval_report
    from seqeval.scheme import IOB2

    with _quiet_metrics():
        raw = seqeval_report(
            gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )
    table = {
        name: Scores(
            float(v["precision"]), float(v["recall"]), float(v["f1-score"]), int(v["support"])
        )
        for name, v in raw.items()
    }
    averages = {avg: table.pop(f"{avg} avg") for avg in AVERAGES}
    return EntityReport(per_type=table, **averages)


def evaluate_classification(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    task: Literal["sequence-classification", "sentence-pair"],
    loss: float | None = None,
    split: str = "test",
) -> EvaluationReport:
    """Evaluate one predicted label per example (single sentences or sentence pairs).

    Args:
        y_true: Gold label of each example.
        y_pred: Predicted label of each example.
        labels: The model's labels in its order; sets the report rows and the confusion
            matrix order. Defaults to every label seen, sorted.
        task: ``"sequence-classification"`` or ``"sentence-pair"``.
        loss: Mean loss on the split, if computed.
        split: Name of the evaluated split.

    Returns:
        The report; ``accuracy`` is the share of examples predicted right.

    Raises:
        ConfigError: If ``task`` is not a classification task.
        DataError: If the lengths differ or there is nothing to evaluate.
        LabelError: If a gold or predicted label is not in ``labels``.

    Example:
        >>> r = evaluate_classification(["pos", "neg"], ["pos", "pos"], ["neg", "pos"],
        ...                             task="sequence-classification")
        >>> f"{r:.2f}"
        '0.50'
    """
    if task not in ("sequence-classification", "sentence-pair"):
        hint = " (use evaluate_token_classification)" if task == "token-classification" else ""
        raise ConfigError(
            "evaluate_classification needs task='sequence-classification' or "
            f"'sentence-pair', got {task=}{hint}"
        )
    _check_same_length(y_true, y_pred, "gold labels", "predictions")
    names = _check_labels(y_true, y_pred, labels)
    return _evaluate(task, y_true, y_pred, names, len(y_true), None, loss, split)


def evaluate_token_classification(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
    *,
    loss: float | None = None,
    split: str = "test",
) -> EvaluationReport:
    """Evaluate NER: token-level scores (``O`` included) plus entity-level scores.

    Pass tags for real words only: drop padding, special tokens and the extra
    sub-word pieces of a word before calling.

    Args:
        true_tags: Gold IOB2 tags, one list per sentence.
        pred_tags: Predicted IOB2 tags for the same sentences, same lengths.
        labels: The model's tags in its order (e.g. ``["O", "B-PER", "I-PER"]``).
            Defaults to every tag seen, sorted.
        loss: Mean loss on the split, if computed.
        split: Name of the evaluated split.

    Returns:
        The report; ``accuracy`` is over tokens, ``entities`` holds entity scores.

    Raises:
        DataError: If sentence counts or lengths differ (the first mismatching
            sentence is named), there are no tokens, or a tag is not IOB2.
        LabelError: If a gold or predicted tag is not in ``labels``.

    Example:
        >>> r = evaluate_token_classification([["B-PER", "O"]], [["B-PER", "O"]])
        >>> r.headline
        1.0
    """
    _check_sentences(true_tags, pred_tags)
    gold = [tag for sentence in true_tags for tag in sentence]
    pred = [tag for sentence in pred_tags for tag in sentence]
    if not gold:
        raise DataError(f"nothing to evaluate: none of the {len(true_tags)} sentences has a tag")
    names = _check_labels(gold, pred, labels)
    entities = entity_report(true_tags, pred_tags)
    return _evaluate(
        "token-classification", gold, pred, names, len(true_tags), entities, loss, split
    )


def _evaluate(
    task: Task,
    gold: Sequence[str],
    pred: Sequence[str],
    names: list[str],
    num_examples: int,
    entities: EntityReport | None,
    loss: float | None,
    split: str,
) -> EvaluationReport:
    report = classification_report(gold, pred, names)
    return EvaluationReport(
        task=task,
        accuracy=sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold),
        macro_f1=report.macro.f1,
        report=report,
        entities=entities,
        confusion_matrix=_confusion_matrix(gold, pred, names),
        labels=names,
        loss=None if loss is None else float(loss),
        num_examples=num_examples,
        split=split,
    )


def _confusion_matrix(
    gold: Sequence[str], pred: Sequence[str], labels: list[str]
) -> list[list[int]]:
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def _check_same_length(y_true: Sequence, y_pred: Sequence, true_name: str, pred_name: str) -> None:
    if len(y_true) != len(y_pred):
        raise DataError(f"got {len(y_true)} {true_name} but {len(y_pred)} {pred_name}")
    if len(y_true) == 0:
        raise DataError(f"nothing to evaluate: no {true_name} and no {pred_name}")


def _check_sentences(
    true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]
) -> None:
    _check_same_length(true_tags, pred_tags, "gold sentences", "predicted sentences")
    for i, (gold, pred) in enumerate(zip(true_tags, pred_tags, strict=True)):
        if len(gold) != len(pred):
            raise DataError(
                f"sentence {i} has {len(gold)} gold tags but {len(pred)} predicted tags"
            )


def _check_iob2(sentences: list[list[str]], side: str) -> None:
    for i, sentence in enumerate(sentences):
        for tag in sentence:
            if tag != "O" and not (tag[:2] in ("B-", "I-") and len(tag) > 2):
                raise DataError(
                    f"{side} tag {tag!r} in sentence {i} is not IOB2 "
                    "(expected 'O', 'B-TYPE' or 'I-TYPE')"
                )


def _check_labels(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    seen = set(gold) | set(pred)
    if labels is None:
        return sorted(seen)
    names = list(labels)
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise LabelError(f"labels must be unique, got {duplicates} more than once")
    unknown = sorted(seen - set(names))
    if unknown:
        raise LabelError(f"labels {unknown} are not among the model's labels {names}")
    return names
