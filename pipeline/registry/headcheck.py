"""Verify's view of the heads: each record's embedded head and each stored head against a replay."""

from __future__ import annotations

from . import heads
from .heads import Head
from .replay import Replay


def _describe(state: dict) -> str:
    return ", ".join(f"{k} {state.get(k, 0)}" for k in ("production", "latest_approved", "latest"))


def check_records(records, replay: Replay | None = None) -> tuple[list[str], Replay]:
    """Replay `records` (seq order); every embedded head must be the one the log implies."""
    replay = replay or Replay()
    problems = []
    for record in records:
        head, prev_seq = replay.apply(record)
        embedded = heads.parse_state(record.model_head)
        if embedded is None:  # written before heads existed
            continue
        expected = dict(head.state(), prev=prev_seq)
        if embedded != expected:
            problems.append(
                f"seq {record.seq} (execution {record.execution_id}): records head "
                f"{_describe(embedded)} for {record.model_name}, the log implies "
                f"{_describe(expected)}"
            )
    return problems, replay


def check_stored(stored: list[Head], expected: dict[str, Head], enabled: bool) -> list[str]:
    """Every stored ModelHead must equal the replayed one, and every model must have one."""
    problems = []
    by_name = {h.model_name: h for h in stored}
    for name, want in sorted(expected.items()):
        have = by_name.get(name)
        if have is None:
            if enabled:
                problems.append(f"model {name} has records but no head (head deleted)")
            continue
        if have.state() != want.state() or (have.seq, have.record_hash) != (
            want.seq,
            want.record_hash,
        ):
            problems.append(
                f"head of {name} says {_describe(have.state())} after seq {have.seq}; "
                f"the log says {_describe(want.state())} after seq {want.seq} (head altered)"
            )
    orphans = sorted(set(by_name) - set(expected))
    problems += [f"head of {name} names a model with no records" for name in orphans]
    return problems
