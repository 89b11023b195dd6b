"""A drift check of one version: captures vs training baseline, report file, MLMD record."""
from __future__ import annotations

import os
from dataclasses import asdict

from pipeline import metadata
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry
from pipeline.registry.log import utc_now

from . import record as recorder
from .baseline import find_baseline
from .captures import read_captures
from .report import DriftResult
from .thresholds import Thresholds

MONITORING_DIR = "monitoring"  # under $LEDGER_HOME, next to captures/ and serving/


def monitoring_root(paths: LedgerPaths) -> str:
    return os.path.join(paths.home, MONITORING_DIR)


def _baseline_facts(baseline) -> dict:
    keep = ("statistics_id", "statistics_path", "schema_id", "schema_path",
            "dataset_version_id", "span", "label")
    return {key: value for key, value in asdict(baseline).items() if key in keep}


def check_drift(identifier: str, paths: LedgerPaths, *, thresholds: Thresholds | None = None,
                metadata_spec: str | None = None, files=None, since: str | None = None,
                record: bool = True) -> DriftResult:
    """Compare `identifier`'s captured requests with its training data; record the report.

    Raises NoCapturesError, BaselineNotFoundError or CaptureFormatError with a message to show.
    """
    spec = metadata_spec or metadata.sqlite_spec(paths.metadata_path)
    registry = Registry.open(spec, must_exist=True)
    version = registry.resolve(identifier)
    baseline = find_baseline(registry.store, version)
    captured = read_captures(registry.store, version, files=files, since=since)
    thresholds = thresholds or Thresholds()
    from . import drift  # TFDV and TensorFlow: only a drift check pays for them

    features, warnings = drift.compare(captured.rows, baseline, thresholds)
    result = DriftResult(
        model_name=version.model_name, version=version.version, checked_at=utc_now(),
        requests=len(captured.rows), capture_files=[asdict(f) for f in captured.files],
        baseline=_baseline_facts(baseline), thresholds_source=thresholds.source,
        features=features, warnings=captured.warnings + warnings)
    if record:
        result.report_path = recorder.report_path(monitoring_root(paths), result)
        sha256 = recorder.write_report(result.report_path, result.to_dict())
        result.execution_id, result.report_artifact_id = recorder.record(
            registry.store, result, version.artifact_id, sha256)
    return result
