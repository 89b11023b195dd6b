"""`ledger verify --checkpoint`: check what was appended since a verified checkpoint.

Reads the checkpoint's record, the records after it and every model's head, by name and index
lookups: the cost follows what changed, not the size of the log.
"""

from __future__ import annotations

from dataclasses import replace

from . import chain, headcheck, heads, log, queries, schema
from .checkpoint import Checkpoint
from .heads import Head
from .records import Transition, VerifyReport
from .replay import Replay
from .trust import LEGACY_HMAC, LEGACY_UNSIGNED, VERIFIED, Trust


def _by_seq(store, seq: int):
    execution = store.get_execution_by_type_and_name(
        schema.STAGE_TRANSITION, chain.execution_name(seq)
    )
    return (execution.name, chain.from_execution(execution)) if execution is not None else None


def _start(store, checkpoint: Checkpoint) -> tuple[Transition | None, list[str]]:
    if not checkpoint.seq:
        return None, []
    found = _by_seq(store, checkpoint.seq)
    if found is None:
        return None, [f"seq {checkpoint.seq} of the checkpoint is gone (records deleted)"]
    record = found[1]
    if record.record_hash != checkpoint.record_hash:
        return record, [
            f"seq {checkpoint.seq} has hash {record.record_hash[:12]}…, the checkpoint "
            f"{checkpoint.record_hash[:12]}… (the chain was rewritten)"
        ]
    return record, []


def _model_start(store, name: str, seq: int) -> Head:
    """A model's head as its last record before the checkpoint left it."""
    found = _by_seq(store, seq) if seq else None
    state = heads.parse_state(found[1].model_head) if found else None
    if not state:
        return _history_head(store, name, seq)
    return Head(name, state["latest"], state["latest_approved"], state["production"],
                state.get("records", 0), state.get("first_deploy", 0), seq, found[1].record_hash)


def _replayed_head(store, name: str, upto: int) -> Head:
    """The model's head after its record `upto`, from its records 1..upto (index lookups)."""
    executions = heads.records_by_index(store, name, range(1, upto + 1))
    if len(executions) < upto:  # records from before heads have no index
        return _history_head(store, name, chain.from_execution(executions[upto]).seq)
    replay = Replay()
    for _, execution in sorted(executions.items()):
        replay.apply(chain.from_execution(execution))
    return replay.models[name].head


def _history_head(store, name: str, upto_seq: int) -> Head:
    """The same from the model's records found by property filter (stores from before heads)."""
    replay = Replay()
    for record in queries.transitions(store, name):
        if record.seq <= upto_seq:
            replay.apply(record)
    return replay.models[name].head if name in replay.models else Head(name)


def _retires_holder(head: Head, record: Transition) -> bool:
    return record.to_stage in heads.LEAVING and record.version in (
        head.production, head.latest_approved)


def _check_heads(store, checkpoint: Checkpoint, new: list[Transition]) -> list[str]:
    problems, expected = [], {}
    by_model: dict[str, list[Transition]] = {}
    for record in new:
        by_model.setdefault(record.model_name, []).append(record)
    for name in set(checkpoint.heads) | set(by_model):
        start = _model_start(store, name, checkpoint.heads.get(name, 0))
        records = by_model.get(name, [])
        if any(heads.parse_state(r.model_head) is None for r in records):
            problems.append(f"{name}: a record since the checkpoint carries no head")
            continue
        found, expected[name] = _advance(store, name, start, records)
        problems += found
    problems += headcheck.check_stored(heads.read_all(store), expected, True)
    return problems


def _advance(store, name: str, start: Head, records: list[Transition]):
    """Replay `records` from `start`; a record retiring an alias holder (rollback, deprecation)
    needs the model's history up to it, read by index."""
    head, problems = start, []
    for record in records:
        if _retires_holder(head, record):
            new = _replayed_head(store, name, head.records + 1)
        else:
            new = heads.advance(head, record, None)
        if heads.parse_state(record.model_head) != dict(new.state(), prev=head.seq):
            problems.append(f"seq {record.seq} (execution {record.execution_id}): its head "
                            f"for {name} is not what the log implies")
        head = replace(new, seq=record.seq, record_hash=record.record_hash)
    return problems, head


def verify_since(store, checkpoint: Checkpoint, checks: Trust) -> VerifyReport:
    """Verify the records after `checkpoint`, the anchor, every head and the touched versions."""
    start, problems = _start(store, checkpoint)
    anchor = log.read_anchor(store)
    head_seq = schema.prop(anchor, "head_seq", 0) if anchor is not None else 0
    if head_seq < checkpoint.seq:
        problems.append(f"the log ends at seq {head_seq}, before the checkpoint's seq "
                        f"{checkpoint.seq} (records deleted)")
    pairs = [found for found in (_by_seq(store, s) for s in
                                 range(checkpoint.seq + 1, head_seq + 2)) if found]
    found, statuses = chain.check_records(pairs, checks, after=start)
    problems += found
    new = [record for _, record in pairs]
    problems += chain.check_anchor(anchor, new[-1] if new else start, checks)
    if not problems:
        problems += _check_heads(store, checkpoint, new)
    states = [status.state for status in statuses]
    return VerifyReport(ok=not problems, records_checked=len(new), problems=problems,
                        signed=checks.hmac_key is not None or any(r.signature for r in new),
                        since_seq=checkpoint.seq, verified=states.count(VERIFIED),
                        legacy_hmac=states.count(LEGACY_HMAC),
                        legacy_unsigned=states.count(LEGACY_UNSIGNED))
