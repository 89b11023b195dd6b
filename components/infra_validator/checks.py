"""Plain checks on model-server answers: failure reasons, prediction equality, latency stats."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

# Reason codes: the first word of InfraBlessing's `reason`, stable for dashboards and tests.
EXAMPLES_UNAVAILABLE = "examples_unavailable"
MODEL_LOAD_FAILED = "model_load_failed"
SIGNATURE_INCOMPATIBLE = "signature_incompatible"
SERVER_EXITED = "server_exited"
TIMEOUT = "timeout"
REQUEST_FAILED = "request_failed"
MALFORMED_RESPONSE = "malformed_response"
PREDICTION_MISMATCH = "prediction_mismatch"
INTERNAL_ERROR = "internal_error"


class ValidationFailure(Exception):
    """A step of infra validation failed; `reason` is what the InfraBlessing records."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True)
class LatencySummary:
    """Client-side request latencies in milliseconds."""

    count: int
    p50_ms: float
    p99_ms: float


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) so reported values were really observed."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize_latencies(seconds: Sequence[float]) -> LatencySummary:
    """p50/p99 in milliseconds of request durations given in seconds."""
    millis = [s * 1000.0 for s in seconds]
    return LatencySummary(len(millis), percentile(millis, 50), percentile(millis, 99))


def compare_outputs(
    served: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], tolerance: float
) -> None:
    """Raise ValidationFailure unless served outputs match expected ones (floats: tolerance)."""
    if set(served) != set(expected):
        raise ValidationFailure(
            MALFORMED_RESPONSE, f"outputs {sorted(served)} differ from expected {sorted(expected)}"
        )
    for name in sorted(expected):
        _compare_tensor(name, np.asarray(served[name]), np.asarray(expected[name]), tolerance)


def _compare_tensor(name: str, got: np.ndarray, want: np.ndarray, tolerance: float) -> None:
    if got.shape != want.shape:
        raise ValidationFailure(
            MALFORMED_RESPONSE, f"output '{name}' has shape {got.shape}, expected {want.shape}"
        )
    if got.dtype != want.dtype:
        raise ValidationFailure(
            MALFORMED_RESPONSE, f"output '{name}' has dtype {got.dtype}, expected {want.dtype}"
        )
    if np.issubdtype(want.dtype, np.floating) or np.issubdtype(want.dtype, np.complexfloating):
        # NaN in a served prediction is a broken model, even when the reference agrees.
        if not np.all(np.isfinite(got)):
            raise ValidationFailure(PREDICTION_MISMATCH, f"output '{name}' has non-finite values")
        if not np.allclose(got, want, rtol=tolerance, atol=tolerance):
            worst = float(np.max(np.abs(got - want)))
            raise ValidationFailure(
                PREDICTION_MISMATCH,
                f"output '{name}' differs by up to {worst:.3g} (tolerance {tolerance:g})",
            )
    elif not np.array_equal(got, want):
        raise ValidationFailure(PREDICTION_MISMATCH, f"output '{name}' differs from reference")
