"""Hash chain of the governance log: canonical record hashes, HMACs, and chain verification."""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
import json
import os

from ml_metadata.proto import metadata_store_pb2 as pb

from . import heads, schema
from . import trust as trust_checks
from .records import Transition

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "model_name",
    "version",
    "from_stage",
    "to_stage",
    "actor",
    "reason",
    "decided_at",
    "model_digest",
    "prev_hash",
)
# Hashed when present: records written before a field existed keep verifying.
OPTIONAL_HASHED_FIELDS = ("model_head",)


def execution_name(seq: int) -> str:
    """Unique per type in MLMD, so two writers can never both take `seq`."""
    return f"transition-{seq:010d}"


def record_hash(fields: dict) -> str:
    """SHA-256 over canonical JSON (sorted keys, no whitespace) of every hashed field."""
    hashed = {k: fields[k] for k in HASHED_FIELDS}
    hashed.update({k: fields[k] for k in OPTIONAL_HASHED_FIELDS if fields.get(k)})
    canonical = json.dumps(
        hashed,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signing_key(env_name: str | None) -> bytes | None:
    """The HMAC key from the named environment variable, or None; the key itself is never stored."""
    value = os.environ.get(env_name) if env_name else None
    return value.encode("utf-8") if value else None


def sign(key: bytes | None, message: str) -> str:
    """Hex HMAC-SHA256 of `message`, or "" when no key is configured."""
    return hmac_lib.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest() if key else ""


def anchor_message(head_seq: int, head_hash: str) -> str:
    return f"{head_seq}:{head_hash}"


def to_execution(type_id: int, fields: dict) -> pb.Execution:
    """A StageTransition execution carrying every field as a typed property."""
    execution = pb.Execution(
        type_id=type_id, name=execution_name(fields["seq"]), last_known_state=pb.Execution.COMPLETE
    )
    head = heads.parse_state(fields.get("model_head", ""))
    if head and head.get("records"):  # the model's n-th record, found by index lookup
        execution.external_id = heads.record_id(fields["model_name"], head["records"])
    schema.set_props(execution.properties, fields)
    return execution


def from_execution(execution: pb.Execution) -> Transition:
    """A Transition read back from a StageTransition execution (missing fields read as empty)."""
    typed = execution.properties  # read the map directly: verify decodes every record
    values = {
        name: (typed[name].int_value if kind == pb.INT else typed[name].string_value)
        if name in typed
        else schema.prop(execution, name, 0 if kind == pb.INT else "")
        for name, kind in schema.TRANSITION_PROPERTIES.items()
    }
    return Transition(execution_id=execution.id, **values)


def _fields(record: Transition) -> dict:
    return {name: getattr(record, name) for name in HASHED_FIELDS + OPTIONAL_HASHED_FIELDS}


def check_records(
    records: list[tuple[str, Transition]], trust, after: Transition | None = None
) -> tuple[list[str], list]:
    """Problems with (execution name, record) pairs sorted by seq, and each record's status.

    Chain rules on top of each record's own check (trust.record_status): seq, links and order;
    after the first signed record every record must be signed (no downgrade), and no record
    may be dated before the one preceding it (a backdated record would dodge a key's window).
    `after` is the verified record the pairs continue (incremental verify from a checkpoint).
    """
    problems, prev = [], after
    first_signed = after.seq if after is not None and after.signature else None
    statuses = trust_checks.chain_statuses([record for _, record in records], trust)
    for (name, record), status in zip(records, statuses, strict=True):
        label = f"seq {record.seq} (execution {record.execution_id})"
        if name != execution_name(record.seq):
            problems.append(f"{label}: execution name {name!r} does not match its seq (renumbered)")
        if status.failed:
            problems.append(f"{label}: {status.detail}")
        problems.extend(_check_seq(label, record, prev.seq + 1 if prev else 1))
        expected_prev = prev.record_hash if prev else GENESIS_HASH
        if record.prev_hash != expected_prev:
            problems.append(
                f"{label}: prev_hash does not link to the record before it "
                "(record deleted, inserted or reordered)"
            )
        if prev and record.execution_id < prev.execution_id:
            problems.append(f"{label}: written before seq {prev.seq} (records reordered)")
        if prev and record.decided_at < prev.decided_at:
            problems.append(f"{label}: decided at {record.decided_at}, before seq {prev.seq} "
                            f"({prev.decided_at}): backdated")
        first_signed = first_signed or (record.seq if record.signature else None)
        if first_signed and not record.signature:
            problems.append(f"{label}: unsigned, although the log is signed since seq "
                            f"{first_signed} (signature stripped or written without a key)")
        elif trust.hmac_key and not record.signature and not record.hmac:
            problems.append(f"{label}: no HMAC although the log is signed (record forged or "
                            "unsigned)")
        prev = record
    return problems, statuses


def _check_seq(label: str, record: Transition, expected: int) -> list[str]:
    if record.seq > expected:
        missing = f"seq {expected}" + (f"..{record.seq - 1}" if record.seq - 1 > expected else "")
        return [f"{missing} missing before {label} (records deleted)"]
    if record.seq < expected:
        return [f"{label}: expected seq {expected} (duplicate or reordered seq)"]
    return []


def check_anchor(anchor: pb.Context | None, last: Transition | None, trust) -> list[str]:
    """Problems between the GovernanceLog anchor and the last record (catches a deleted tail).

    A signed log's head is signed too: cutting its tail means re-signing the head.
    """
    key = trust.hmac_key
    if anchor is None:
        return ["governance log anchor is missing while records exist"] if last else []
    head_seq = schema.prop(anchor, "head_seq", 0)
    head_hash = schema.prop(anchor, "head_hash", "")
    problems = []
    if last is None and head_seq:
        problems.append(f"anchor head is seq {head_seq} but no records exist (records deleted)")
    elif last and (head_seq != last.seq or head_hash != last.record_hash):
        problems.append(
            f"anchor head is seq {head_seq} but the last record is seq {last.seq} "
            f"(execution {last.execution_id}): trailing records deleted or anchor altered"
        )
    if key and head_seq:
        expected = sign(key, anchor_message(head_seq, head_hash))
        if not hmac_lib.compare_digest(expected, schema.prop(anchor, "head_hmac", "")):
            problems.append(f"anchor HMAC for head seq {head_seq} does not match (anchor forged)")
    if last is not None and last.signature:
        problems.extend(trust_checks.head_problems(anchor, last, trust))
    return problems
