"""Contextual calibration: estimate a prompt's label bias from content-free inputs, divide it out.

A language model prompted to classify leans towards some labels whatever the input (the
label words' own frequency, the last demonstration's label, ...). Zhao et al. (2021,
"Calibrate Before Use") measure that lean by asking about inputs that carry no content —
``"N/A"``, ``""``, ``"[MASK]"`` — and averaging the label distributions; each real
distribution is then divided by it, label by label, and renormalised. A prompt with no
bias is left as it was.

Example:
    >>> bias = estimate_bias(np.array([[0.8, 0.2], [0.6, 0.4]]))
    >>> calibrate(np.array([[0.7, 0.3]]), bias).round(3)
    array([[0.5, 0.5]])
"""

from __future__ import annotations

import numpy as np

from open_interpreter.errors import DataError

CONTENT_FREE_INPUTS: tuple[str, ...] = ("N/A", "", "[MASK]")
"""The inputs the bias is measured on, as in Zhao et al. (2021)."""


def estimate_bias(content_free: np.ndarray) -> np.ndarray:
    """The prompt's label bias: the mean label distribution over content-free inputs.

    Args:
        content_free: ``[inputs, labels]`` label distributions (rows sum to 1).

    Returns:
        ``[labels]``, summing to 1.

    Raises:
        DataError: No rows, or a row that is not a distribution.
    """
    content_free = np.asarray(content_free, dtype=float)
    if content_free.ndim != 2 or len(content_free) == 0:
        raise DataError(f"need [inputs, labels] distributions, got shape {content_free.shape}")
    _check_distributions(content_free, "content-free distributions")
    bias = content_free.mean(axis=0)
    return bias / bias.sum()


def calibrate(probabilities: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Divide each label distribution by ``bias`` and renormalise (``W = diag(1 / bias)``).

    Args:
        probabilities: ``[inputs, labels]`` label distributions.
        bias: ``[labels]`` from :func:`estimate_bias`.

    Returns:
        The calibrated distributions, same shape, rows summing to 1.

    Raises:
        DataError: The shapes do not match, or ``bias`` has a zero.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    bias = np.asarray(bias, dtype=float)
    if probabilities.ndim != 2 or probabilities.shape[1:] != bias.shape:
        raise DataError(
            f"distributions of shape {probabilities.shape} cannot be calibrated by a bias of "
            f"shape {bias.shape}"
        )
    if (bias <= 0).any():
        raise DataError(f"the bias must be positive for every label, got {bias.tolist()}")
    scaled = probabilities / bias
    return scaled / scaled.sum(axis=1, keepdims=True)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of log-scores, computed stably."""
    scores = np.asarray(scores, dtype=float)
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _check_distributions(rows: np.ndarray, what: str) -> None:
    if (rows < 0).any() or not np.allclose(rows.sum(axis=1), 1.0, atol=1e-6):
        raise DataError(f"{what} must be non-negative and sum to 1 per row")
