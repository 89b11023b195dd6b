"""Each governance record's verification status, for the pages that list records."""

from __future__ import annotations

from dataclasses import dataclass

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline.registry import Transition, chain, schema

VERIFIED, UNSIGNED, FAILED = "verified", "chain ok, unsigned", "failed"


@dataclass(frozen=True)
class RecordStatus:
    """Whether one record's hash, link to the record before it and HMAC check out."""

    status: str  # VERIFIED | UNSIGNED | FAILED
    problems: tuple[str, ...] = ()


class RecordStatuses:
    """Statuses of the records a page shows, each checked on its own: its hash over its content,
    its link to the record one seq before it, and its HMAC when a key is configured.

    Only the whole-log check (`ledger verify`) also catches deleted trailing records; this one
    costs one query for the records' predecessors, so a model page stays fast on large stores.
    Per-record signatures replace `_check` alone.
    """

    def __init__(self, store, key: bytes | None):
        self.store, self.key = store, key

    def of(self, records: list[Transition]) -> dict[int, RecordStatus]:
        """Execution id -> status of each of `records`."""
        previous = self._records_at({r.seq - 1 for r in records if r.seq > 1}
                                    - {r.seq for r in records})
        previous.update((r.seq, r) for r in records)
        return {r.execution_id: self._check(r, previous.get(r.seq - 1)) for r in records}

    def _records_at(self, seqs: set[int]) -> dict[int, Transition]:
        if not seqs:
            return {}
        names = ", ".join(schema.quote(chain.execution_name(s)) for s in sorted(seqs))
        query = f"type = {schema.quote(schema.STAGE_TRANSITION)} AND name IN ({names})"
        found = self.store.get_executions(list_options=ListOptions(filter_query=query))
        return {r.seq: r for r in map(chain.from_execution, found)}

    def _check(self, record: Transition, previous: Transition | None) -> RecordStatus:
        label = f"seq {record.seq} (execution {record.execution_id})"
        problems = chain.check_records([(chain.execution_name(record.seq), record)], self.key,
                                       after=previous)
        if record.seq > 1 and previous is None:
            problems.append(f"{label}: the record before it (seq {record.seq - 1}) is missing")
        if problems:
            return RecordStatus(FAILED, tuple(problems))
        signed = self.key is not None and bool(record.hmac)
        return RecordStatus(VERIFIED if signed else UNSIGNED)
