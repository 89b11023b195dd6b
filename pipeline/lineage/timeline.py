"""Point-in-time queries: the registry's own production rule replayed on the log up to a moment."""

from __future__ import annotations

from datetime import datetime

from pipeline.registry import Transition, schema, stages
from pipeline.registry import queries as registry_queries

from . import moments
from .clock import format_time, parse_time
from .records import AsOf


def _until(history: list[Transition], moment: datetime) -> list[Transition]:
    return [t for t in history if t.decided_at and parse_time(t.decided_at) <= moment]


def as_of(store, registry, model_name: str, when) -> AsOf:
    """The version of `model_name` in production at `when`, who deployed and approved it."""
    moment = parse_time(when)
    found = moments.as_of(store, model_name, moment)
    if found is not None:
        return found
    return _replayed_as_of(store, registry, model_name, moment)


def _replayed_as_of(store, registry, model_name: str, moment: datetime) -> AsOf:
    """As-of on a store from before heads: the model's whole log, replayed up to `moment`."""
    artifacts = registry_queries.version_artifacts(store, model_name)
    if not artifacts:
        registry.versions(model_name)  # raises the registry's UnknownModelError
    full = registry_queries.transitions(store, model_name)
    history = _until(full, moment)
    by_version: dict[int, list[Transition]] = {}
    for record in history:
        by_version.setdefault(record.version, []).append(record)
    # The registry's own derivation (stage = last record, production = latest deployed), fed
    # with the log as it stood at `when`.
    versions = [
        registry_queries.version_info(a, by_version.get(schema.prop(a, "version", 0), []))
        for a in artifacts
    ]
    production = registry_queries.production(versions, history)
    first = next((t for t in full if t.to_stage == stages.DEPLOYED), None)
    deploy = _last_deploy(history, production.version) if production else None
    return AsOf(
        model_name=model_name,
        at=format_time(moment),
        version=production,
        deployed_at=deploy.decided_at if deploy else "",
        deployed_by=deploy.actor if deploy else "",
        record_seq=deploy.seq if deploy else 0,
        first_deployed_at=first.decided_at if first else "",
    )


def _last_deploy(history: list[Transition], version: int) -> Transition | None:
    deploys = [t for t in history if t.version == version and t.to_stage == stages.DEPLOYED]
    return deploys[-1] if deploys else None
