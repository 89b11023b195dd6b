"""Who takes over `@production` or `@latest-approved` when the version holding it leaves.

Only a write that retires the holder (rollback, deprecation) asks, and it reads newest first:
the answer is almost always the next deploy record or the next lower version.
"""

from __future__ import annotations

from ml_metadata.metadata_store.metadata_store import ListOptions, OrderByField

from . import chain, queries, schema, stages

PAGE = 20
_LIVE = (stages.APPROVED, stages.DEPLOYED)


def _newest_first(query: str, below_id: int | None) -> ListOptions:
    if below_id is not None:
        query += f" AND id < {int(below_id)}"
    return ListOptions(filter_query=query, limit=PAGE, order_by=OrderByField.ID, is_asc=False)


def current_stages(store, model_name: str, versions, overrides: dict[int, str]) -> dict:
    """Stage of each version now, with `overrides` (records of this append not yet written)."""
    wanted = [v for v in versions if v not in overrides]
    artifacts = [
        a for a in (
            store.get_artifact_by_type_and_name(schema.MODEL_VERSION, f"{model_name}@{v}")
            for v in wanted
        ) if a is not None
    ]
    found = dict(overrides)
    records = queries.version_records(store, artifacts)
    for artifact in artifacts:
        history = records[artifact.id]
        found[schema.prop(artifact, "version", 0)] = (
            history[-1].to_stage if history else stages.NONE
        )
    return found


def production(store, model_name: str, overrides: dict[int, str], pending_deploys) -> int:
    """The deployed version deployed last: scan deploy records newest first (this append's own
    deploys, `pending_deploys`, are newer than any stored one)."""
    for version in reversed(pending_deploys):
        if overrides.get(version) == stages.DEPLOYED:
            return version
    query = (
        f"type = {schema.quote(schema.STAGE_TRANSITION)}"
        f" AND properties.model_name.string_value = {schema.quote(model_name)}"
        f" AND properties.to_stage.string_value = {schema.quote(stages.DEPLOYED)}"
    )
    below, seen = None, set()
    while True:
        page = store.get_executions(list_options=_newest_first(query, below))
        if not page:
            return 0
        order = []
        for execution in page:
            version = chain.from_execution(execution).version
            if version not in seen:
                seen.add(version)
                order.append(version)
        now = current_stages(store, model_name, order, overrides)
        for version in order:
            if now.get(version) == stages.DEPLOYED:
                return version
        below = page[-1].id


def latest_approved(store, model_name: str, below_version: int, overrides: dict[int, str]) -> int:
    """The highest version under `below_version` that is approved or deployed."""
    query = (
        f"type = {schema.quote(schema.MODEL_VERSION)}"
        f" AND properties.model_name.string_value = {schema.quote(model_name)}"
        f" AND properties.version.int_value < {int(below_version)}"
    )
    below = None
    while True:
        page = store.get_artifacts(list_options=_newest_first(query, below))
        if not page:
            return 0
        order = sorted((schema.prop(a, "version", 0) for a in page), reverse=True)
        now = current_stages(store, model_name, order, overrides)
        for version in order:
            if now.get(version) in _LIVE:
                return version
        below = page[-1].id
