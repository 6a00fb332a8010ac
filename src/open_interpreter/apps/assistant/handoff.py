"""When to hand a question to a person: a confidence threshold chosen on validation data.

The assistant hands off when its retrieval confidence (the cosine similarity of the
question to the best fused passage) is below a threshold. :func:`choose_threshold` picks
the threshold that best separates in-scope questions (to answer) from out-of-scope ones
(to hand off) on a validation split, by the F1 of the hand-off decision;
:func:`handoff_scores` reports precision and recall at a threshold on other questions.

Example:
    >>> round(choose_threshold([0.71, 0.64, 0.80], [0.31, 0.42, 0.66]), 3)
    0.685
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from open_interpreter.errors import DataError


def handoff_scores(
    in_scope: Sequence[float], out_of_scope: Sequence[float], threshold: float
) -> dict[str, float]:
    """Precision, recall and F1 of "hand off when confidence < threshold".

    A hand-off is right for an out-of-scope question and wrong for an in-scope one.
    """
    inside, outside = np.asarray(in_scope), np.asarray(out_of_scope)
    caught = int((outside < threshold).sum())
    wrong = int((inside < threshold).sum())
    precision = caught / (caught + wrong) if caught + wrong else 1.0
    recall = caught / len(outside) if len(outside) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": round(float(threshold), 4), "precision": round(precision, 4),
        "recall": round(recall, 4), "f1": round(f1, 4),
        "handoff_rate_in_scope": round(wrong / len(inside), 4) if len(inside) else 0.0,
    }  # fmt: skip


def choose_threshold(in_scope: Sequence[float], out_of_scope: Sequence[float]) -> float:
    """The threshold with the best hand-off F1 on these validation confidences.

    Candidates lie halfway between neighbouring confidences (and below the lowest); ties
    go to the lower threshold, which hands off less.

    Raises:
        DataError: Either list is empty.
    """
    if not len(in_scope) or not len(out_of_scope):
        raise DataError("choosing a threshold needs in-scope and out-of-scope questions")
    values = np.unique(np.concatenate([np.asarray(in_scope), np.asarray(out_of_scope)]))
    candidates = [float(values[0]) - 1e-6, *((values[1:] + values[:-1]) / 2)]
    return max(candidates, key=lambda t: (handoff_scores(in_scope, out_of_scope, t)["f1"], -t))
