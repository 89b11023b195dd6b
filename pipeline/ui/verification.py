"""Each governance record's verification status, for the pages that list records."""

from __future__ import annotations

from dataclasses import dataclass

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline.registry import Transition, chain, schema
from pipeline.registry.trust import FAILED, LEGACY_HMAC, LEGACY_UNSIGNED, VERIFIED, Trust

__all__ = ["FAILED", "LEGACY_HMAC", "LEGACY_UNSIGNED", "VERIFIED", "RecordStatus",
           "RecordStatuses"]


@dataclass(frozen=True)
class RecordStatus:
    """One record's state (verified, legacy-hmac, legacy-unsigned or failed) and why."""

    status: str
    detail: str = ""
    problems: tuple[str, ...] = ()


class RecordStatuses:
    """Statuses of the records a page shows, each checked on its own by the registry's rules
    (content hash, signature by an allowed signer or legacy HMAC) plus its link to the record
    one seq before it (chain.check_records continuing from that record).

    Only the whole-log check (`ledger verify`) also catches records deleted from the end of the
    log; this one costs one query for the records' predecessors, so a model page stays fast.
    """

    def __init__(self, store, trust: Trust | None):
        self.store, self.trust = store, trust or Trust()

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
        problems, [status] = chain.check_records(
            [(chain.execution_name(record.seq), record)], self.trust, after=previous)
        if record.seq > 1 and previous is None:
            problems.append(f"{label}: the record before it (seq {record.seq - 1}) is missing")
        if problems:
            return RecordStatus(FAILED, problems[0], tuple(problems))
        return RecordStatus(status.state, status.detail)
