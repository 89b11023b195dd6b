"""Drift results as dataclasses, the JSON report document and the per-feature table."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

OK, DRIFT, SKEW, MISSING = "ok", "DRIFT", "SKEW", "MISSING"


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's comparison: the drift score against its threshold, and schema anomalies."""

    feature: str
    kind: str  # numeric | categorical
    metric: str  # jensen_shannon_divergence | l_infinity
    score: float | None  # None when the feature had no value to measure
    threshold: float
    drifted: bool = False
    anomalies: list = field(default_factory=list)  # TFDV's schema anomaly descriptions
    missing: bool = False

    @property
    def status(self) -> str:
        """ok, or DRIFT / SKEW / DRIFT+SKEW / MISSING."""
        if self.missing:
            return MISSING
        flags = [name for name, on in ((DRIFT, self.drifted), (SKEW, self.anomalies)) if on]
        return "+".join(flags) or OK

    @property
    def flagged(self) -> bool:
        return self.status != OK


@dataclass
class DriftResult:
    """A whole drift check: what was compared with what, per-feature results, where it is stored."""

    model_name: str
    version: int
    checked_at: str
    requests: int
    capture_files: list  # [{"artifact_id", "path", "requests"}]
    baseline: dict  # statistics/schema artifact ids and paths, dataset_version_id, span
    thresholds_source: str
    features: list  # [FeatureDrift]
    warnings: list = field(default_factory=list)
    report_path: str = ""
    report_artifact_id: int = 0
    execution_id: int = 0

    @property
    def identifier(self) -> str:
        return f"{self.model_name}@{self.version}"

    @property
    def flagged(self) -> list[str]:
        return [f.feature for f in self.features if f.flagged]

    def max_scores(self) -> dict[str, float]:
        """The highest score per metric, e.g. {"jensen_shannon_divergence": 0.82}."""
        best: dict[str, float] = {}
        for f in self.features:
            if f.score is not None:
                best[f.metric] = max(best.get(f.metric, 0.0), f.score)
        return best

    def to_dict(self) -> dict:
        """The report document: every field plus the status of each feature."""
        document = asdict(self)
        document["features"] = [{**asdict(f), "status": f.status} for f in self.features]
        document.update(identifier=self.identifier, flagged=self.flagged,
                        max_scores=self.max_scores())
        return document


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _detail(result: FeatureDrift) -> str:
    if result.missing:
        return "no value in any captured request"
    return "; ".join(result.anomalies)


def feature_table(result: DriftResult) -> str:
    """Feature, kind, metric, score, threshold, status (and why) as aligned columns."""
    header = ("FEATURE", "KIND", "METRIC", "SCORE", "THRESHOLD", "STATUS")
    rows = [(f.feature, f.kind, f.metric, _score(f.score), f"{f.threshold:.4f}",
             f"{f.status}: {_detail(f)}" if _detail(f) else f.status) for f in result.features]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]))  # the last column is free text, not padded
    return "\n".join(lines)


def header_lines(result: DriftResult) -> list[str]:
    """What was compared with what, under which thresholds, and any warnings."""
    base = result.baseline
    lines = [
        f"{result.identifier}: {result.requests} captured requests in "
        f"{len(result.capture_files)} file(s) vs the training statistics of "
        f"{base.get('dataset_version_id') or 'its dataset'} (span {base.get('span', 0)})",
        f"thresholds: {result.thresholds_source}",
    ]
    return lines + [f"warning: {w}" for w in result.warnings]


def footer_lines(result: DriftResult) -> list[str]:
    """Where the report is recorded, and the verdict."""
    lines = []
    if result.report_path:
        lines.append(f"drift report: {result.report_path} "
                     f"(MLMD DriftReport {result.report_artifact_id})")
    flagged = result.flagged
    lines.append(f"{len(flagged)} of {len(result.features)} features flagged"
                 + (f": {', '.join(flagged)}" if flagged else ""))
    return lines
