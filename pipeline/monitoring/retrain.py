"""Continuous training: run the same pipeline on the newest span and say what became of it."""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass

from pipeline import metadata
from pipeline.config import DatasetConfig
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry, RegistryError, VersionInfo

from .baseline import find_baseline
from .errors import MonitoringError


@dataclass(frozen=True)
class RetrainOutcome:
    """The run on the newest span, and the production version before and after it."""

    summary: object  # local_runner.RunSummary
    before: VersionInfo | None
    before_span: int | None
    latest: VersionInfo | None
    production: VersionInfo | None

    @property
    def deployed_new_version(self) -> bool:
        before = self.before.version if self.before else None
        return self.production is not None and self.production.version != before


def _registry(paths: LedgerPaths) -> Registry | None:
    if not os.path.exists(paths.metadata_path):
        return None
    return Registry.open(metadata.sqlite_spec(paths.metadata_path), must_exist=True)


def _production(registry: Registry | None, model_name: str) -> VersionInfo | None:
    try:
        return registry.production(model_name) if registry else None
    except RegistryError:  # no version of the model registered yet
        return None


def _span(registry: Registry | None, version: VersionInfo | None) -> int | None:
    """The span the version was trained on, or None when lineage does not say."""
    if registry is None or version is None:
        return None
    try:
        return find_baseline(registry.store, version).span
    except MonitoringError:
        return None


def retrain(dataset: DatasetConfig, paths: LedgerPaths, **run_options) -> RetrainOutcome:
    """Runs create_pipeline on the newest span: same gates (evaluator, infra, approval policy)."""
    from pipeline.local_runner import run_local  # imports tfx when it runs

    registry = _registry(paths)
    before = _production(registry, dataset.name)
    before_span = _span(registry, before)
    summary = run_local(dataset, paths, **run_options)
    # Free the run's TF functions now: left to interpreter shutdown, TF's finalizers print
    # "Exception ignored in AtomicFunction.__del__" tracebacks after a drift check ran.
    gc.collect()
    registry = _registry(paths)
    versions = registry.versions(dataset.name) if registry else []
    return RetrainOutcome(summary=summary, before=before, before_span=before_span,
                          latest=versions[-1] if versions else None,
                          production=_production(registry, dataset.name))


def outcome_lines(outcome: RetrainOutcome) -> list[str]:
    """The retrain in a few lines: span, previous production, decision, what serves now."""
    summary, before = outcome.summary, outcome.before
    previous = (f"{before.identifier} trained on span {outcome.before_span}" if before
                else "none")
    now = outcome.production.identifier if outcome.production else "none"
    accuracy = "n/a" if summary.accuracy is None else f"{summary.accuracy:.4f}"
    return [
        f"trained on:     span {summary.span} ({summary.source_dir})",
        f"was deployed:   {previous}",
        f"approval:       {summary.decision}",
        f"eval accuracy:  {accuracy}",
        f"now deployed:   {now}" + ("" if outcome.deployed_new_version else " (unchanged)"),
        f"wall time:      {summary.seconds:.1f} s",
    ]
