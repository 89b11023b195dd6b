"""Captured requests as TFDV feature statistics, and TFDV's own C++ validation of them.

A drift check compares a few thousand rows: numpy computes their statistics in milliseconds,
where importing TFDV's Python API (TensorFlow, Beam, pandas, cloud clients) costs 10-20 s
and prints TensorFlow's start-up noise. The comparison itself (Jensen-Shannon divergence,
L-infinity distance, schema anomalies) stays TFDV's: its C++ validator, loaded on its own.
"""
from __future__ import annotations

import importlib.util
import math
import os
import sys
from collections import Counter

import numpy as np
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

HISTOGRAM_BUCKETS = 10  # TFDV's default for the standard and quantiles histograms
_TYPES = {schema_pb2.FLOAT: statistics_pb2.FeatureNameStatistics.FLOAT,
          schema_pb2.INT: statistics_pb2.FeatureNameStatistics.INT,
          schema_pb2.BYTES: statistics_pb2.FeatureNameStatistics.STRING}


def request_statistics(rows: list[dict], schema, names):
    """Statistics of `names` (schema features) over the rows; None and NaN count as missing."""
    types = {f.name: f.type for f in schema.feature}
    dataset = statistics_pb2.DatasetFeatureStatistics(num_examples=len(rows))
    for name in names:
        values = [row.get(name) for row in rows]
        feature = dataset.features.add(type=_TYPES[types[name]])
        feature.path.step.append(name)
        if types[name] == schema_pb2.BYTES:
            _strings(feature.string_stats, [str(v) for v in values if v is not None],
                     len(values))
        else:
            present = np.array([float(v) for v in values if not _missing(v)], dtype=float)
            _numbers(feature.num_stats, present, len(values))
    return statistics_pb2.DatasetFeatureStatisticsList(datasets=[dataset])


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _common(common, present: int, total: int) -> None:
    common.num_non_missing, common.num_missing = present, total - present
    if present:
        common.min_num_values = common.max_num_values = 1
        common.avg_num_values = 1.0
        common.tot_num_values = present


def _numbers(stats, values: np.ndarray, total: int) -> None:
    _common(stats.common_stats, len(values), total)
    if not len(values):
        return
    stats.mean, stats.std_dev = float(values.mean()), float(values.std())
    stats.min, stats.max = float(values.min()), float(values.max())
    stats.median = float(np.median(values))
    stats.num_zeros = int((values == 0).sum())
    counts, edges = np.histogram(values, bins=HISTOGRAM_BUCKETS,
                                 range=(stats.min, stats.max) if stats.max > stats.min
                                 else (stats.min - 0.5, stats.max + 0.5))
    standard = stats.histograms.add(type=statistics_pb2.Histogram.STANDARD)
    for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True):
        standard.buckets.add(low_value=float(low), high_value=float(high),
                             sample_count=float(count))
    quantiles = stats.histograms.add(type=statistics_pb2.Histogram.QUANTILES)
    bounds = np.quantile(values, np.linspace(0, 1, HISTOGRAM_BUCKETS + 1))
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        quantiles.buckets.add(low_value=float(low), high_value=float(high),
                              sample_count=len(values) / HISTOGRAM_BUCKETS)


def _strings(stats, values: list[str], total: int) -> None:
    _common(stats.common_stats, len(values), total)
    counts = Counter(values)
    stats.unique = len(counts)
    if values:
        stats.avg_length = sum(len(v) for v in values) / len(values)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for rank, (value, count) in enumerate(ranked):
        stats.top_values.add(value=value, frequency=count)
        stats.rank_histogram.buckets.add(low_rank=rank, high_rank=rank, label=value,
                                         sample_count=count)


def validate(served, schema, environment: str, training) -> anomalies_pb2.Anomalies:
    """TFDV's validate_statistics(served, schema, environment, previous_statistics=training)."""
    raw = _validator().ValidateFeatureStatistics(
        served.datasets[0].SerializeToString(), schema.SerializeToString(), environment,
        training.datasets[0].SerializeToString(), b"", b"", b"", b"", False)
    return anomalies_pb2.Anomalies.FromString(raw)


EXTENSION = "tensorflow_data_validation.pywrap.tensorflow_data_validation_extension"


def _validator():
    """TFDV's C++ validation module, without running the tensorflow_data_validation package.

    The extension is loaded under its own full name, as TFDV's import would load it, so a
    later `import tensorflow_data_validation` in the process finds it and reuses it (a second
    copy of a pybind11 module corrupts the heap at exit).
    """
    if EXTENSION not in sys.modules:
        found = importlib.util.find_spec("tensorflow_data_validation")
        path = os.path.join(found.submodule_search_locations[0], "pywrap",
                            "tensorflow_data_validation_extension.so")
        spec = importlib.util.spec_from_file_location(EXTENSION, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[EXTENSION] = module
    return sys.modules[EXTENSION].validation
