"""Appending to the governance log: one MLMD transaction per append, retried on contention."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from ml_metadata import errors
from ml_metadata.metadata_store.metadata_store import ListOptions
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.signing import records as signatures

from . import chain, headcheck, heads, schema, trust
from .errors import GovernanceLogError
from .head_tracker import HeadTracker
from .records import Transition, VerifyReport

MAX_ATTEMPTS = 200


@dataclass
class PendingRecord:
    """A transition to append: its fields (no seq/hashes yet), artifacts it reads and creates.

    `updated` artifacts (with ids) are rewritten in the same transaction, e.g. a ModelVersion's
    pushed destination, so the fact and its record can never disagree.
    """

    fields: dict
    input_artifact_ids: tuple[int, ...]
    new_outputs: list[pb.Artifact] = field(default_factory=list)
    updated: list[pb.Artifact] = field(default_factory=list)


def record_fields(model_name, version, from_stage, to_stage, actor, reason, model_digest) -> dict:
    """The caller-supplied fields of a record; append() adds seq, time, hashes and HMAC."""
    return {
        "model_name": model_name,
        "version": int(version),
        "from_stage": from_stage,
        "to_stage": to_stage,
        "actor": actor,
        "reason": reason,
        "model_digest": model_digest,
    }


def utc_now() -> str:
    """UTC ISO-8601 with microseconds, e.g. 2026-11-02T10:04:05.123456Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_transient(exc: Exception) -> bool:
    """SQLite lock contention and server hiccups that a short wait cures."""
    if isinstance(
        exc, (errors.AbortedError, errors.UnavailableError, errors.DeadlineExceededError)
    ):
        return True
    message = str(exc).lower()
    return isinstance(exc, errors.StatusError) and ("locked" in message or "busy" in message)


def backoff(attempt: int) -> None:
    """Jittered, capped sleep so contending processes stop colliding."""
    time.sleep(random.uniform(0.005, min(0.25, 0.01 * (attempt + 1))))


def retry_transient(write, attempts: int = 50):
    """Run an MLMD write, waiting out SQLite lock contention (a pipeline may be writing too)."""
    for attempt in range(attempts):
        try:
            return write()
        except errors.StatusError as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            backoff(attempt)


def read_anchor(store) -> pb.Context | None:
    return store.get_context_by_type_and_name(schema.GOVERNANCE_LOG, schema.GOVERNANCE_LOG_NAME)


def _check_head_known(store, anchor) -> bool:
    """False when another writer started the log since `anchor` (None) was read: re-plan."""
    if anchor is not None:
        return True
    query = ListOptions(limit=1, filter_query=f"type = {schema.quote(schema.STAGE_TRANSITION)}")
    if store.get_executions(list_options=query):
        if read_anchor(store) is not None:  # its first record and anchor landed in between
            return False
        raise GovernanceLogError(
            "governance log anchor is missing but records exist: "
            "refusing to append (run `ledger verify`)"
        )
    return True


def append(
    store, type_ids: dict, plan: Callable[[], list[PendingRecord]], key: bytes | None,
    signer=None,
) -> tuple[list[Transition], list[int]]:
    """Append `plan()`'s records atomically; plan re-reads state and re-validates on every retry.

    Returns the written transitions and the ids of the new output artifacts (in plan order).
    """
    for attempt in range(MAX_ATTEMPTS):
        try:
            anchor = read_anchor(store)
            if not _check_head_known(store, anchor):
                backoff(attempt)
                continue
            pending = plan()
            if not pending:
                return [], []
            return _write(store, type_ids, anchor, pending, key, signer)
        except errors.AlreadyExistsError:
            backoff(attempt)  # another writer took our seq (or version name): re-read and retry
        except errors.StatusError as exc:
            if not is_transient(exc):
                raise
            backoff(attempt)
    raise GovernanceLogError(
        f"could not append to the governance log after {MAX_ATTEMPTS} "
        "attempts (persistent contention or an inconsistent head; run verify)"
    )


def _write(store, type_ids, anchor, pending, key, signer):
    migrating = anchor is not None and not heads.enabled(anchor)
    anchor = anchor or pb.Context(
        type_id=type_ids[schema.GOVERNANCE_LOG], name=schema.GOVERNANCE_LOG_NAME
    )
    seq = schema.prop(anchor, "head_seq", 0)
    head = schema.prop(anchor, "head_hash", "") or chain.GENESIS_HASH
    tracker = HeadTracker(store, migrating)
    executions, artifacts, edges, written = [], [], [], []
    for index, record in enumerate(pending):
        seq += 1
        fields = dict(record.fields, seq=seq, prev_hash=head, decided_at=utc_now())
        fields["model_head"] = tracker.advance(fields)
        fields["record_hash"] = head = chain.record_hash(fields)
        fields["hmac"] = chain.sign(key, head)
        fields.update(signatures.signature_fields(signer, head))
        tracker.written(fields)
        executions.append(chain.to_execution(type_ids[schema.STAGE_TRANSITION], fields))
        written.append(fields)
        for artifact_id in record.input_artifact_ids:
            edges.append((index, None, pb.Event(type=pb.Event.INPUT, artifact_id=artifact_id)))
        for artifact in record.new_outputs:
            edges.append((index, len(artifacts), pb.Event(type=pb.Event.OUTPUT)))
            artifacts.append(artifact)
    new_count = len(artifacts)
    artifacts += [artifact for record in pending for artifact in record.updated]
    schema.set_props(
        anchor.custom_properties,
        {
            "head_seq": seq,
            "head_hash": head,
            "head_hmac": chain.sign(key, chain.anchor_message(seq, head)),
            heads.HEADS_FLAG: 1,
            **trust.head_fields(signer, seq, head),
        },
    )
    contexts = [anchor] + tracker.contexts(type_ids[heads.MODEL_HEAD])
    execution_ids, artifact_ids, _ = store.put_lineage_subgraph(
        executions, artifacts, contexts, edges
    )
    transitions = [
        Transition(execution_id=eid, **fields)
        for eid, fields in zip(execution_ids, written, strict=True)
    ]
    return transitions, artifact_ids[:new_count]


def read_records(store) -> list[tuple[str, Transition]]:
    """Every (execution name, record) of the log, sorted by seq."""
    executions = store.get_executions_by_type(schema.STAGE_TRANSITION)
    return sorted(
        ((e.name, chain.from_execution(e)) for e in executions),
        key=lambda pair: (pair[1].seq, pair[1].execution_id),
    )


def verify(store, checks: trust.Trust) -> VerifyReport:
    """Re-check the whole log: each record's hash and signature, links, seq, order, anchor,
    then the per-model heads replayed from the records."""
    pairs = read_records(store)
    problems, statuses = chain.check_records(pairs, checks)
    anchor = read_anchor(store)
    problems += chain.check_anchor(anchor, pairs[-1][1] if pairs else None, checks)
    head_problems, replay = headcheck.check_records([record for _, record in pairs])
    problems += head_problems
    problems += headcheck.check_stored(heads.read_all(store), replay.heads(), heads.enabled(anchor))
    problems += _check_versions(store.get_artifacts_by_type(schema.MODEL_VERSION),
                                [record for _, record in pairs])
    states = [status.state for status in statuses]
    return VerifyReport(
        ok=not problems, records_checked=len(pairs), problems=problems,
        signed=checks.hmac_key is not None or any(record.signature for _, record in pairs),
        verified=states.count(trust.VERIFIED), legacy_hmac=states.count(trust.LEGACY_HMAC),
        legacy_unsigned=states.count(trust.LEGACY_UNSIGNED),
    )


def _check_versions(versions: list[pb.Artifact], records: list[Transition]) -> list[str]:
    """Every ModelVersion artifact must carry the digest its hash-chained records name.

    Artifacts are mutable in MLMD and not themselves chained; the records are, so a version
    whose digest was edited, or a version the log knows that has no artifact, is flagged here.
    """
    logged: dict[tuple[str, int], set[str]] = {}
    for record in records:
        digests = logged.setdefault((record.model_name, int(record.version)), set())
        if record.model_digest:
            digests.add(record.model_digest)
    problems, seen = [], set()
    for artifact in versions:
        key = (schema.prop(artifact, "model_name"), int(schema.prop(artifact, "version", 0)))
        seen.add(key)
        label = f"ModelVersion {key[0]}@{key[1]} (artifact {artifact.id})"
        digest = schema.prop(artifact, "model_digest")
        if key not in logged:
            problems.append(f"{label} has no record in the governance log")
        elif logged[key] and digest not in logged[key]:
            problems.append(f"{label}: model_digest is {digest[:12]}…, the log records "
                            f"{', '.join(sorted(d[:12] + '…' for d in logged[key]))}")
    problems += [f"the log records {name}@{version}, but no ModelVersion artifact exists"
                 for name, version in sorted(set(logged) - seen)]
    return problems
