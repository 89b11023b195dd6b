"""Who takes over `@production` or `@latest-approved` when the version holding it leaves.

Only a write that retires the holder (rollback, deprecation) asks, and it reads newest first,
a page of 20 at a time by index lookups: the model's records by their per-model index (external
id), versions by name (they are gapless). The cost follows the distance to the answer (almost
always the previous deploy record or the next lower version), not the size of the model or the
store. Records written before heads carry no index: they are read with a filter query.
"""

from __future__ import annotations

from ml_metadata.metadata_store.metadata_store import ListOptions, OrderByField

from . import chain, heads, queries, schema, stages

PAGE = 20  # filter-query pages (records from before heads)
_LIVE = (stages.APPROVED, stages.DEPLOYED)


def _pages(top: int, first: int):
    """Indices top, top-1, ... 1 in pages growing from `first` to 64: the answer is nearly
    always within the first page, and a long search still takes few round trips."""
    size = first
    while top > 0:
        yield range(top, max(top - size, 0), -1)
        top, size = top - size, min(size * 4, 64)


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


def production(store, model_name: str, overrides: dict[int, str], pending_deploys,
               records: int = 0) -> int:
    """The deployed version deployed last: scan deploy records newest first (this append's own
    deploys, `pending_deploys`, are newer than any stored one); `records` is the model's record
    count, so its records are read by index below it."""
    for version in reversed(pending_deploys):
        if overrides.get(version) == stages.DEPLOYED:
            return version
    seen: set[int] = set()
    for indices in _pages(records, 8):  # a version's deploy is 3-4 records above the last
        page = heads.records_by_index(store, model_name, indices)
        if not page:  # from before heads (or a page of this append's own pending records)
            return _production_by_filter(store, model_name, overrides)
        found = _still_deployed(store, model_name, [page[n] for n in sorted(page, reverse=True)],
                                overrides, seen)
        if found:
            return found
    return 0


def _still_deployed(store, model_name, executions, overrides, seen: set) -> int:
    """The first version, newest first, that `executions` deploy and that is still deployed."""
    order = []
    for execution in executions:
        record = chain.from_execution(execution)
        if record.to_stage == stages.DEPLOYED and record.version not in seen:
            seen.add(record.version)
            order.append(record.version)
    now = current_stages(store, model_name, order, overrides)
    return next((v for v in order if now.get(v) == stages.DEPLOYED), 0)


def _production_by_filter(store, model_name: str, overrides: dict[int, str]) -> int:
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
        found = _still_deployed(store, model_name, page, overrides, seen)
        if found:
            return found
        below = page[-1].id


def latest_approved(store, model_name: str, below_version: int, overrides: dict[int, str]) -> int:
    """The highest version under `below_version` that is approved or deployed (versions are
    numbered from 1 without gaps, so they are looked up by name, a page at a time)."""
    for versions in _pages(below_version - 1, 4):
        order = list(versions)
        now = current_stages(store, model_name, order, overrides)
        found = next((v for v in order if now.get(v) in _LIVE), 0)
        if found:
            return found
    return 0
