"""Contextual calibration: a known bias is divided out."""

from __future__ import annotations

import numpy as np
import pytest

from open_interpreter.errors import DataError
from open_interpreter.prompting import calibrate, estimate_bias


def test_calibration_divides_out_a_known_bias():
    bias = estimate_bias(np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2]]))
    np.testing.assert_allclose(bias, [0.6, 0.25, 0.15])
    probabilities = np.array([[0.6, 0.25, 0.15], [0.3, 0.5, 0.2]])
    calibrated = calibrate(probabilities, bias)
    np.testing.assert_allclose(calibrated[0], [1 / 3] * 3)  # exactly the bias: no preference
    expected = np.array([0.3 / 0.6, 0.5 / 0.25, 0.2 / 0.15])
    np.testing.assert_allclose(calibrated[1], expected / expected.sum())
    with pytest.raises(DataError):
        calibrate(probabilities, np.array([0.5, 0.5]))
