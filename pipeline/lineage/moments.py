"""As-of by binary search over one model's records: O(log records) index lookups.

Each record names the model's aliases after it (registry/heads.py) and is reachable by its
per-model index, so the last record at or before a moment says what was in production then.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.registry import chain, heads, queries, schema, stages
from pipeline.registry.aliases import checked_head

from .clock import format_time, parse_time
from .records import AsOf


def _at(store, model_name: str, n: int):
    """The model's n-th record, or None when it predates heads (no index)."""
    execution = heads.records_by_index(store, model_name, [n]).get(n)
    return chain.from_execution(execution) if execution is not None else None


def _last_at_or_before(store, model_name: str, count: int, moment: datetime):
    """(record index, record) of the last record decided at or before `moment`; (0, None) if
    none; None when a probe lands on a record from before heads."""
    low, high, found = 0, count, None  # record `low` is at or before `moment` (0: none)
    while low < high:
        middle = (low + high + 1) // 2
        record = _at(store, model_name, middle)
        if record is None:
            return None
        if parse_time(record.decided_at) <= moment:
            low, found = middle, record
        else:
            high = middle - 1
    return low, found


def as_of(store, model_name: str, moment: datetime) -> AsOf | None:
    """What was in production at `moment`, or None when only a replay can tell (old store)."""
    head = checked_head(store, model_name)
    if head is None or not head.records:
        return None
    located = _last_at_or_before(store, model_name, head.records, moment)
    if located is None:
        return None
    _, record = located
    state = heads.parse_state(record.model_head) if record else {}
    production = (state or {}).get("production", 0)
    first = _record_by_seq(store, head.first_deploy)
    result = dict(model_name=model_name, at=format_time(moment), version=None,
                  first_deployed_at=first.decided_at if first else "")
    if not production:
        return AsOf(**result)
    artifact = store.get_artifact_by_type_and_name(
        schema.MODEL_VERSION, f"{model_name}@{production}"
    )
    history = [t for t in queries.version_records(store, [artifact])[artifact.id]
               if t.seq <= record.seq]
    deploy = [t for t in history if t.to_stage == stages.DEPLOYED][-1]
    return AsOf(**dict(result, version=queries.version_info(artifact, history),
                       deployed_at=deploy.decided_at, deployed_by=deploy.actor,
                       record_seq=deploy.seq))


def _record_by_seq(store, seq: int):
    if not seq:
        return None
    execution = store.get_execution_by_type_and_name(
        schema.STAGE_TRANSITION, chain.execution_name(seq)
    )
    return chain.from_execution(execution) if execution is not None else None
