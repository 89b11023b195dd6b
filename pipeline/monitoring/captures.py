"""The captured requests of one version: PredictionCapture artifacts in MLMD and their lines."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline.registry import VersionInfo
from pipeline.registry.schema import quote
from pipeline.serving.capture import PREDICTION_CAPTURE, read_lines

from .errors import CaptureFormatError, MonitoringError, NoCapturesError


@dataclass(frozen=True)
class CaptureFile:
    """One PredictionCapture artifact and how many of its lines the check read."""

    artifact_id: int
    path: str
    requests: int


@dataclass
class CapturedRequests:
    """Feature dicts of the captured requests, the files they came from, and what was skipped."""

    rows: list = field(default_factory=list)
    files: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def capture_artifacts(store, version: VersionInfo) -> list:
    """Every PredictionCapture artifact registered for the version, oldest first."""
    query = (f"type = {quote(PREDICTION_CAPTURE)}"
             f" AND custom_properties.model_name.string_value = {quote(version.model_name)}"
             f" AND custom_properties.version.int_value = {int(version.version)}")
    found = store.get_artifacts(list_options=ListOptions(filter_query=query))
    return sorted(found, key=lambda a: a.id)


def _selected(artifacts: list, files) -> list:
    """The artifacts whose file is one of `files`; a file that is not one of them is an error."""
    if not files:
        return artifacts
    by_path = {os.path.realpath(a.uri): a for a in artifacts}
    chosen = []
    for path in files:
        if os.path.realpath(path) not in by_path:
            raise NoCapturesError(f"{path} is not a registered capture file of this version")
        chosen.append(by_path[os.path.realpath(path)])
    return chosen


def _features(line: dict, path: str, number: int) -> dict:
    features = line.get("features") if isinstance(line, dict) else None
    if not isinstance(features, dict):
        raise CaptureFormatError(f"{path}: line {number} has no 'features' object")
    return features


def _read(path: str, since: str | None) -> list[dict]:
    """Feature dicts of a capture file's lines issued at or after `since` (ISO-8601 UTC)."""
    rows = []
    try:
        for number, line in enumerate(read_lines(path), start=1):
            if since is None or str(line.get("issued_at", "")) >= since:
                rows.append(_features(line, path, number))
    except ValueError as err:  # json.JSONDecodeError: a line that is not JSON
        raise CaptureFormatError(f"{path}: not a JSON-lines capture file ({err})") from None
    return rows


def utc_instant(text: str) -> str:
    """An ISO-8601 time as the receipts write it (UTC, microseconds, Z), to compare as text."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MonitoringError(f"--since: not an ISO-8601 time: {text!r}") from None
    moment = moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_captures(store, version: VersionInfo, *, files=None, since: str | None = None):
    """The version's captured requests (optionally only `files`, only lines since `since`)."""
    since = utc_instant(since) if since else None
    artifacts = _selected(capture_artifacts(store, version), files)
    if not artifacts:
        raise NoCapturesError(
            f"{version.identifier} has no captured predictions: serve it with "
            f"`ledger serve {version.identifier}` (or `ledger predict`) first")
    captured = CapturedRequests()
    for artifact in artifacts:
        if not os.path.isfile(artifact.uri):
            captured.warnings.append(f"capture file missing on disk, skipped: {artifact.uri}")
            continue
        rows = _read(artifact.uri, since)
        if rows:
            captured.rows.extend(rows)
            captured.files.append(CaptureFile(artifact.id, artifact.uri, len(rows)))
    if not captured.rows:
        window = f" since {since}" if since else ""
        raise NoCapturesError(
            f"{version.identifier}: {len(artifacts)} capture file(s) but no captured "
            f"request{window} to check")
    return captured
