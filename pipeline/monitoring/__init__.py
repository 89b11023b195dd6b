"""Monitoring: drift and skew of captured requests vs a version's training data (TFDV, lazily)."""

from .check import check_drift, monitoring_root
from .errors import BaselineNotFoundError, CaptureFormatError, MonitoringError, NoCapturesError
from .report import DriftResult, FeatureDrift
from .thresholds import Thresholds, ThresholdsError, load_thresholds

__all__ = [
    "BaselineNotFoundError",
    "CaptureFormatError",
    "DriftResult",
    "FeatureDrift",
    "MonitoringError",
    "NoCapturesError",
    "Thresholds",
    "ThresholdsError",
    "check_drift",
    "load_thresholds",
    "monitoring_root",
]
