"""Unit tests of the plain checks: prediction comparison and latency percentiles."""
from __future__ import annotations

import numpy as np
import pytest

from components.infra_validator import checks


def test_percentiles_are_observed_values_by_nearest_rank():
    summary = checks.summarize_latencies([i / 1000.0 for i in range(1, 101)])
    assert (summary.count, summary.p50_ms, summary.p99_ms) == (100, 50.0, 99.0)
    assert checks.summarize_latencies([]).p99_ms == 0.0


def test_equal_within_tolerance_passes():
    want = {"outputs": np.array([[1.0], [2.0]], np.float32)}
    checks.compare_outputs({"outputs": want["outputs"] + 1e-7}, want, 1e-5)


@pytest.mark.parametrize("served, code, words", [
    ({"outputs": np.array([[1.0], [2.5]], np.float32)}, checks.PREDICTION_MISMATCH, "0.5"),
    ({"outputs": np.array([[1.0], [np.nan]], np.float32)}, checks.PREDICTION_MISMATCH,
     "non-finite"),
    ({"outputs": np.array([1.0, 2.0], np.float32)}, checks.MALFORMED_RESPONSE, "shape"),
    ({"outputs": np.array([[1.0], [2.0]], np.float64)}, checks.MALFORMED_RESPONSE, "dtype"),
    ({"scores": np.array([[1.0], [2.0]], np.float32)}, checks.MALFORMED_RESPONSE, "scores"),
])
def test_mismatches_name_the_failure(served, code, words):
    want = {"outputs": np.array([[1.0], [2.0]], np.float32)}
    with pytest.raises(checks.ValidationFailure) as caught:
        checks.compare_outputs(served, want, 1e-5)
    assert caught.value.code == code
    assert caught.value.reason.startswith(code + ": ") and words in caught.value.reason


def test_non_float_outputs_must_match_exactly():
    want = {"classes": np.array([b"a", b"b"])}
    with pytest.raises(checks.ValidationFailure, match=checks.PREDICTION_MISMATCH):
        checks.compare_outputs({"classes": np.array([b"a", b"c"])}, want, 1.0)
