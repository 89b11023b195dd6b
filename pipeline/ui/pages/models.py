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
from .registry_view import model_summaries, production_of, stage_of

# Metrics shown in the versions table and the plot, when a version records them.
KEY_METRIC_LIMIT = 4
# Versions per page: a page costs the same however many versions the model has.
PAGE_SIZE = 25

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
    timeline: list[TimelineEntry]  # the records of the versions on this page, newest first
    older: int | None  # `before` of the next page of older versions, None on the last page
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


def _summary(registry, name: str, newest: VersionInfo | None, count: int) -> ModelSummary:
    """Latest and production from the model's head (a store from before heads: a few queries)."""
    head = heads.read(registry.store, name)
    if head is not None:
        stage = newest.stage if newest and newest.version == head.latest else \
            stage_of(registry.store, name, head.latest)
        return ModelSummary(name, head.latest, head.latest, stage, head.production or None)
    latest = max(count, newest.version if newest else 0)
    return ModelSummary(name, count, latest, stage_of(registry.store, name, latest),
                        production_of(registry.store, name))


def model_page(registry, statuses: RecordStatuses, name: str, *,
               before: int | None = None) -> ModelPage:
    """One page of model `name`'s versions (newest first, older ones behind `before`), their
    records on the stage timeline, and the key metrics of every version for the plot."""
    if not valid_model_name(name):
        raise UnknownModelError(f"no model named {name!r} is registered")
    page = registry.versions_page(name, PAGE_SIZE, before)  # UnknownModelError when none
    artifacts = registry.store.get_artifacts_by_id([v.artifact_id for v in page])
    by_version = _records_by_version(registry.store, artifacts)
    history = sorted((r for records in by_version.values() for r in records),
                     key=lambda r: (r.seq, r.execution_id))
    checked = statuses.of(history)
    # Metrics live on the version artifacts: the plot covers every version for one query.
    every = sorted((queries.version_info(a, []) for a in
                    queries.version_artifacts(registry.store, name)), key=lambda v: v.version)
    metrics = key_metrics(every)
    rows = [VersionRow(v, {m: v.metrics.get(m) for m in metrics},
                       *_worst([checked[r.execution_id] for r in by_version.get(v.version, [])]))
            for v in page]
    timeline = [entry(r, checked[r.execution_id]) for r in reversed(history)]
    plot = {"versions": [v.version for v in every],
            "series": {m: [_number(v.metrics.get(m)) for v in every] for m in metrics}}
    older = page[-1].version if page and page[-1].version > 1 else None
    summary = _summary(registry, name, page[0] if before is None else None, len(every))
    return ModelPage(name, summary, rows, metrics, timeline, older, plot)


def _records_by_version(store, artifacts) -> dict[int, list[Transition]]:
    records = queries.version_records(store, artifacts)
    return {prop(a, "version", 0): records[a.id] for a in artifacts}


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
