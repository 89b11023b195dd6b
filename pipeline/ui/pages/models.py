"""The registry as a whole, and one model: its versions, stage timeline and key metrics."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.registry import (
    ModelSummary,
    Transition,
    UnknownModelError,
    VersionInfo,
    heads,
    log,
    queries,
)
from pipeline.registry.schema import prop, valid_model_name

from ..verification import FAILED, LEGACY_HMAC, LEGACY_UNSIGNED, VERIFIED, RecordStatuses
from .registry_view import model_summaries

# Metrics shown in the versions table and the plot, when a version records them.
KEY_METRIC_LIMIT = 4
# The timeline shows the newest records first; the rest are one click away.
TIMELINE_LIMIT = 60

@dataclass(frozen=True)
class VersionRow:
    """One line of a model's versions table."""

    info: VersionInfo
    metrics: dict
    verification: str  # worst status of the version's records
    why: tuple[str, ...]  # what failed, shown on hover

@dataclass(frozen=True)
class TimelineEntry:
    """One governance record on a model's stage timeline, with its verification status."""

    record: Transition
    status: str
    why: tuple[str, ...]  # what was checked, or what failed

@dataclass(frozen=True)
class ModelPage:
    name: str
    summary: ModelSummary
    rows: list[VersionRow]
    key_metrics: list[str]
    timeline: list[TimelineEntry]
    timeline_total: int
    plot: dict  # {"versions": [...], "series": {metric: [values or None]}}

def models_page(registry) -> list[ModelSummary]:
    """Every registered model with its latest and production versions."""
    if heads.enabled(log.read_anchor(registry.store)):
        return registry.models()  # a few calls per model, from each model's head
    return model_summaries(registry.store)  # stores written before heads

def key_metrics(versions: list[VersionInfo]) -> list[str]:
    """Numeric quality metrics recorded on the versions, most widely recorded first (counts
    such as example_count say how much was measured, not how good the model is)."""
    counts: dict[str, int] = {}
    for info in versions:
        for name, value in info.metrics.items():
            if _number(value) is not None and not name.endswith("count"):
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))[:KEY_METRIC_LIMIT]

def _worst(statuses) -> tuple[str, tuple[str, ...]]:
    """One status for a version's records: failed beats legacy beats verified."""
    problems = tuple(p for s in statuses for p in s.problems)
    states = {s.status for s in statuses}
    for state in (FAILED, LEGACY_HMAC, LEGACY_UNSIGNED, VERIFIED):
        if state in states:
            return state, problems
    return "no records", ()


def entry(record: Transition, status) -> TimelineEntry:
    return TimelineEntry(record, status.status, status.problems or (status.detail,))


def model_page(registry, statuses: RecordStatuses, name: str, *, whole_timeline=False) -> ModelPage:
    """The versions table, stage timeline and metric series of model `name`."""
    history = queries.transitions(registry.store, name) if valid_model_name(name) else []
    by_version: dict[int, list] = {}
    for record in history:
        by_version.setdefault(record.version, []).append(record)
    versions = sorted((queries.version_info(a, by_version.get(prop(a, "version", 0), []))
                       for a in queries.version_artifacts(registry.store, name)),
                      key=lambda v: v.version) if history else []
    if not versions:
        raise UnknownModelError(f"no model named {name!r} is registered")
    checked = statuses.of(history)
    metrics = key_metrics(versions)
    rows = [VersionRow(v, {m: v.metrics.get(m) for m in metrics},
                       *_worst([checked[r.execution_id] for r in by_version.get(v.version, [])]))
            for v in reversed(versions)]
    shown = history[::-1] if whole_timeline else history[: -TIMELINE_LIMIT - 1 : -1]
    timeline = [entry(r, checked[r.execution_id]) for r in shown]
    plot = {"versions": [v.version for v in versions],
            "series": {m: [_number(v.metrics.get(m)) for v in versions] for m in metrics}}
    return ModelPage(name, queries.summary(name, versions, history), rows, metrics, timeline,
                     len(history), plot)


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
