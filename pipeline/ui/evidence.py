"""Evaluator, StatisticsGen and ExampleValidator outputs read from their artifact directories.

TFMA's metrics proto module is loaded from its file: the tensorflow_model_analysis package's
__init__ imports TensorFlow, the generated module itself only protobuf.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

from google.protobuf import json_format
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from .tfrecord import read_records


@lru_cache(maxsize=1)
def _metrics_pb2():
    spec = importlib.util.find_spec("tensorflow_model_analysis")
    path = os.path.join(os.path.dirname(spec.origin), "proto", "metrics_for_slice_pb2.py")
    module_spec = importlib.util.spec_from_file_location("_ledger_tfma_metrics_pb2", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


CANDIDATE_NAMES = ("", "candidate")  # TFMA's model names for the evaluated model


@dataclass(frozen=True)
class SliceMetrics:
    """One slice ("Overall" or "island = Biscoe") with its metric values and baseline diffs."""

    slice: str
    metrics: dict
    diffs: dict = field(default_factory=dict)


def _slice_name(slice_key) -> str:
    parts = []
    for single in slice_key.single_slice_keys:
        kind = single.WhichOneof("kind")
        value = getattr(single, kind) if kind else ""
        parts.append(f"{single.column} = {value.decode() if isinstance(value, bytes) else value}")
    return ", ".join(parts) or "Overall"


def _value(metric_value):
    kind = metric_value.WhichOneof("type")
    if kind == "double_value":
        return metric_value.double_value.value
    return json_format.MessageToDict(getattr(metric_value, kind)) if kind else None


def slice_metrics(evaluation_uri: str) -> list[SliceMetrics]:
    """Every slice TFMA wrote under `evaluation_uri`, Overall first; [] when there is none."""
    files = sorted(glob.glob(os.path.join(evaluation_uri, "metrics-*"))) if evaluation_uri else []
    found = []
    for path in files:
        for payload in read_records(path):
            record = _metrics_pb2().MetricsForSlice.FromString(payload)
            metrics, diffs = {}, {}
            for keyed in record.metric_keys_and_values:
                # With a baseline TFMA reports both models; the version is the candidate.
                if keyed.key.model_name not in CANDIDATE_NAMES:
                    continue
                target = diffs if keyed.key.is_diff else metrics
                target[keyed.key.name] = _value(keyed.value)
            found.append(SliceMetrics(_slice_name(record.slice_key), metrics, diffs))
    return sorted(found, key=lambda s: (s.slice != "Overall", s.slice))


def thresholds(evaluation_uri: str) -> list[dict]:
    """Metric thresholds of the eval config TFMA saved next to the metrics."""
    path = os.path.join(evaluation_uri or "", "eval_config.json")
    if not evaluation_uri or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle).get("evalConfig", {})
    return [{"metric": m.get("className") or m.get("name", ""), "threshold": m["threshold"]}
            for spec in config.get("metricsSpecs", []) for m in spec.get("metrics", [])
            if "threshold" in m]


@dataclass(frozen=True)
class FeatureStats:
    """One feature of one split: counts, missing share, and numeric or string summaries."""

    split: str
    name: str
    type: str
    count: int
    missing: int
    mean: float | None = None
    std_dev: float | None = None
    min: float | None = None
    max: float | None = None
    unique: int | None = None
    top_values: tuple = ()


def _split_dirs(uri: str, filename: str) -> list[tuple[str, str]]:
    paths = sorted(glob.glob(os.path.join(uri or "", "Split-*", filename))) if uri else []
    return [(os.path.basename(os.path.dirname(p))[len("Split-"):], p) for p in paths]


def _feature(split: str, feature) -> FeatureStats:
    name = ".".join(feature.path.step) or feature.name
    kind = statistics_pb2.FeatureNameStatistics.Type.Name(feature.type)
    if feature.HasField("num_stats"):
        num = feature.num_stats
        common = num.common_stats
        return FeatureStats(split, name, kind, common.num_non_missing, common.num_missing,
                            mean=num.mean, std_dev=num.std_dev, min=num.min, max=num.max)
    strings = feature.string_stats
    common = strings.common_stats
    top = tuple((v.value, int(v.frequency)) for v in strings.top_values[:3])
    return FeatureStats(split, name, kind, common.num_non_missing, common.num_missing,
                        unique=strings.unique, top_values=top)


def feature_stats(statistics_uri: str) -> list[FeatureStats]:
    """Per-split, per-feature statistics StatisticsGen wrote (FeatureStats.pb per split)."""
    found = []
    for split, path in _split_dirs(statistics_uri, "FeatureStats.pb"):
        with open(path, "rb") as handle:
            stats = statistics_pb2.DatasetFeatureStatisticsList.FromString(handle.read())
        for dataset in stats.datasets:
            found += [_feature(split, f) for f in dataset.features]
    return found


@dataclass(frozen=True)
class Anomaly:
    """One anomaly ExampleValidator found in a split."""

    split: str
    feature: str
    severity: str
    description: str


def anomalies(anomalies_uri: str) -> list[Anomaly]:
    """Anomalies per split from ExampleValidator's SchemaDiff.pb files (none: an empty list)."""
    found = []
    for split, path in _split_dirs(anomalies_uri, "SchemaDiff.pb"):
        with open(path, "rb") as handle:
            report = anomalies_pb2.Anomalies.FromString(handle.read())
        for feature, info in sorted(report.anomaly_info.items()):
            severity = anomalies_pb2.AnomalyInfo.Severity.Name(info.severity)
            found.append(Anomaly(split, feature, severity, info.description
                                 or info.short_description))
    return found
