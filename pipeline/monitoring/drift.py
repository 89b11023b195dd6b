"""TFDV comparison of captured requests with training statistics: drift scores and schema skew."""
from __future__ import annotations

import math
import os

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

from . import request_stats
from .baseline import TrainingBaseline
from .errors import BaselineNotFoundError, CaptureFormatError
from .report import FeatureDrift
from .thresholds import CATEGORICAL, METRICS, NUMERIC, Thresholds

TRAINING, SERVING = "TRAINING", "SERVING"
# Below this many requests sampling noise alone moves the scores near the default thresholds.
MIN_REQUESTS = 100
_NUMERIC_TYPES = (schema_pb2.FLOAT, schema_pb2.INT)


def load_baseline_protos(baseline: TrainingBaseline):
    """(training DatasetFeatureStatisticsList, Schema) from the baseline's files."""
    for path in (baseline.statistics_path, baseline.schema_path):
        if not os.path.isfile(path):
            raise BaselineNotFoundError(
                f"training statistics/schema of {baseline.dataset_version_id} not found at "
                f"{path} (was the pipeline root moved or cleaned?)")
    with open(baseline.statistics_path, "rb") as handle:
        statistics = statistics_pb2.DatasetFeatureStatisticsList.FromString(handle.read())
    with open(baseline.schema_path, encoding="utf-8") as handle:
        return statistics, text_format.Parse(handle.read(), schema_pb2.Schema())


def feature_kinds(schema, label: str) -> dict[str, str]:
    """Every schema feature except the label: numeric (FLOAT/INT) or categorical (BYTES)."""
    return {f.name: NUMERIC if f.type in _NUMERIC_TYPES else CATEGORICAL
            for f in schema.feature if f.name != label}


def _number(name: str, value):
    if value is None:
        return math.nan
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise CaptureFormatError(
            f"feature {name!r} is numeric in the training schema, captured {value!r:.40}") from None


def check_values(rows: list[dict], kinds: dict[str, str]) -> None:
    """CaptureFormatError for a captured value a numeric feature cannot take."""
    for name, kind in kinds.items():
        if kind == NUMERIC:
            for row in rows:
                _number(name, row.get(name))


def serving_schema(schema, kinds: dict, absent: set, thresholds: Thresholds, label: str):
    """A copy of the training schema with a SERVING environment and drift comparators."""
    schema = type(schema).FromString(schema.SerializeToString())
    schema.ClearField("default_environment")
    schema.default_environment.extend([TRAINING, SERVING])
    for feature in schema.feature:
        # The label is never in a request; an absent feature is reported once, as MISSING.
        if feature.name == label or feature.name in absent:
            feature.not_in_environment.append(SERVING)
            continue
        comparator = feature.drift_comparator
        threshold = thresholds.for_feature(feature.name, kinds[feature.name])
        if kinds[feature.name] == NUMERIC:
            comparator.jensen_shannon_divergence.threshold = threshold
        else:
            comparator.infinity_norm.threshold = threshold
    return schema


def _schema_anomalies(anomalies) -> dict[str, list[str]]:
    """Per feature, TFDV's anomaly descriptions other than the drift comparators' own."""
    found: dict[str, list[str]] = {}
    for name, info in anomalies.anomaly_info.items():
        for reason in info.reason:
            if not anomalies_pb2.AnomalyInfo.Type.Name(reason.type).startswith("COMPARATOR_"):
                text = reason.description or reason.short_description
                found.setdefault(name, []).append(text.strip())
    return found


def _scores(anomalies) -> dict[str, float]:
    return {".".join(info.path.step): info.drift_measurements[0].value
            for info in anomalies.drift_skew_info if info.drift_measurements}


def compare(rows: list[dict], baseline: TrainingBaseline, thresholds: Thresholds):
    """Per-feature FeatureDrift results (schema order) and warnings for the captured rows."""
    statistics, schema = load_baseline_protos(baseline)
    kinds = feature_kinds(schema, baseline.label)
    absent = {name for name in kinds if all(row.get(name) is None for row in rows)}
    present = {name: kind for name, kind in kinds.items() if name not in absent}
    check_values(rows, present)
    served = request_stats.request_statistics(rows, schema, list(present))
    anomalies = request_stats.validate(
        served, serving_schema(schema, kinds, absent, thresholds, baseline.label),
        SERVING, statistics)
    scores, skew = _scores(anomalies), _schema_anomalies(anomalies)
    results = []
    for name, kind in kinds.items():
        threshold = thresholds.for_feature(name, kind)
        score = scores.get(name)
        results.append(FeatureDrift(
            feature=name, kind=kind, metric=METRICS[kind], score=score, threshold=threshold,
            drifted=score is not None and score > threshold, anomalies=skew.get(name, []),
            missing=name in absent))
    return results, _warnings(rows, kinds, baseline.label)


def _warnings(rows: list[dict], kinds: dict, label: str) -> list[str]:
    warnings = []
    if len(rows) < MIN_REQUESTS:
        warnings.append(f"only {len(rows)} captured requests: below {MIN_REQUESTS} sampling "
                        "noise alone can approach the thresholds")
    extra = sorted({name for row in rows for name in row} - set(kinds) - {label})
    if extra:
        warnings.append(f"captured features not in the training schema, not checked: "
                        f"{', '.join(extra)}")
    return warnings
