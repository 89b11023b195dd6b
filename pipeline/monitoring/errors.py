"""Monitoring errors: each message names the version, file or feature and what to do next."""
from __future__ import annotations


class MonitoringError(Exception):
    """Base class: a drift check or retrain that cannot go ahead, with the reason."""


class NoCapturesError(MonitoringError):
    """The version has no captured predictions (in the selected window) to check."""


class BaselineNotFoundError(MonitoringError):
    """MLMD lineage does not lead from the version to its training statistics and schema."""


class CaptureFormatError(MonitoringError):
    """A captured line cannot be read as the model's features (names the file and line)."""
