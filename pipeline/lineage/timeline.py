"""Point-in-time queries: the registry's own production rule replayed on the log up to a moment."""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.registry import Transition, schema, stages
from pipeline.registry import queries as registry_queries

from .errors import LineageError
from .records import AsOf


def parse_time(text) -> datetime:
    """ISO-8601 (`Z`, an offset, or naive meaning UTC) or a datetime -> an aware UTC datetime."""
    if isinstance(text, datetime):
        moment = text
    else:
        raw = str(text).strip()
        try:
            moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except ValueError:
            raise LineageError(
                f"cannot read time {raw!r}: use ISO-8601 UTC, e.g. 2026-11-22T05:30:00Z"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z, as the governance log writes it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _until(history: list[Transition], moment: datetime) -> list[Transition]:
    return [t for t in history if t.decided_at and parse_time(t.decided_at) <= moment]


def as_of(store, registry, model_name: str, when) -> AsOf:
    """The version of `model_name` in production at `when`, who deployed and approved it."""
    moment = parse_time(when)
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
