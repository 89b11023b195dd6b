"""Drift thresholds: defaults per feature kind, per-feature overrides from a YAML/JSON file."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from pipeline.config import read_yaml_file

NUMERIC, CATEGORICAL = "numeric", "categorical"
JSD, L_INFINITY = "jensen_shannon_divergence", "l_infinity"
METRICS = {NUMERIC: JSD, CATEGORICAL: L_INFINITY}
# Measured with TFDV on the bundled penguins data (20 random samples per size): requests drawn
# from the training rows score at most 0.08 (JSD) / 0.10 (L-inf) at 100 requests and 0.06 /
# 0.08 at 150; a 3-sigma shift of one numeric feature scores 0.82, a new category taking a fifth
# of the traffic 0.20. The defaults sit between. An unseen category is also a schema anomaly.
DEFAULT_THRESHOLDS = {NUMERIC: 0.15, CATEGORICAL: 0.15}


class ThresholdsError(ValueError):
    """A thresholds file is missing, malformed or names an out-of-range threshold."""


@dataclass(frozen=True)
class Thresholds:
    """Per-kind default thresholds and per-feature overrides; a score above it is drift."""

    defaults: dict = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    features: dict = field(default_factory=dict)
    source: str = "defaults"

    def for_feature(self, name: str, kind: str) -> float:
        """The threshold that applies to feature `name` of `kind` (numeric or categorical)."""
        return float(self.features.get(name, self.defaults[kind]))


def _threshold(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ThresholdsError(f"{where}: threshold must be a number in [0, 1], got {value!r}")
    return float(value)


def parse_thresholds(raw: dict, source: str) -> Thresholds:
    """Thresholds from {"numeric": x, "categorical": y, "features": {name: z}} (all optional)."""
    if not isinstance(raw, dict):
        raise ThresholdsError(f"{source}: expected a mapping with numeric/categorical/features")
    unknown = set(raw) - {NUMERIC, CATEGORICAL, "features"}
    if unknown:
        raise ThresholdsError(f"{source}: unknown key(s): {', '.join(sorted(unknown))}")
    defaults = dict(DEFAULT_THRESHOLDS)
    for kind in (NUMERIC, CATEGORICAL):
        if kind in raw:
            defaults[kind] = _threshold(raw[kind], f"{source}: {kind}")
    features = raw.get("features") or {}
    if not isinstance(features, dict):
        raise ThresholdsError(f"{source}: 'features' must map feature names to thresholds")
    overrides = {str(k): _threshold(v, f"{source}: features.{k}") for k, v in features.items()}
    return Thresholds(defaults=defaults, features=overrides, source=source)


def load_thresholds(path: str | None) -> Thresholds:
    """Thresholds from a YAML/JSON file, or the defaults when `path` is None."""
    if path is None:
        return Thresholds()
    raw = read_yaml_file(path, "thresholds file", ThresholdsError)
    return parse_thresholds(raw or {}, os.path.abspath(path))
