"""Per-record verification status: signature by an allowed signer, legacy HMAC, or unsigned."""

from __future__ import annotations

import hmac as hmac_lib
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.signing import records as signed
from pipeline.signing.allowed_signers import NAMESPACE, AllowedSigners

from . import chain, schema
from .records import Transition

VERIFIED = "verified"
LEGACY_HMAC = "legacy-hmac"
LEGACY_UNSIGNED = "legacy-unsigned"
FAILED = "failed"


@dataclass(frozen=True)
class Trust:
    """What records are checked against: the allowed signers and, for old stores, the HMAC key."""

    allowed: AllowedSigners | None = None
    hmac_key: bytes | None = None


@dataclass(frozen=True)
class RecordStatus:
    """A record's verification state and why; only `verified` values are facts."""

    state: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    @property
    def label(self) -> str:
        return self.state if self.state != FAILED else f"FAILED: {self.detail}"


def decided_time(record: Transition) -> datetime | None:
    try:
        return datetime.fromisoformat(record.decided_at.rstrip("Z")).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def record_status(record: Transition, trust: Trust, *, proven: bool = False) -> RecordStatus:
    """Check one record on its own: content hash, then signature, HMAC or nothing.

    `proven`: the signature itself need not be checked, because a later record's valid
    signature by the same key covers this record through the hash chain (chain_statuses).
    """
    if chain.record_hash(chain._fields(record)) != record.record_hash:
        return RecordStatus(FAILED, "record_hash does not match its content (record modified)")
    if record.signature:
        return _signature_status(record, trust.allowed, proven)
    if record.hmac:
        if not trust.hmac_key:
            return RecordStatus(LEGACY_HMAC, "HMAC not checked (no key)")
        if not hmac_lib.compare_digest(chain.sign(trust.hmac_key, record.record_hash),
                                       record.hmac):
            return RecordStatus(FAILED, "HMAC does not match (record forged or another key)")
        return RecordStatus(LEGACY_HMAC, "HMAC checked")
    return RecordStatus(LEGACY_UNSIGNED, "unsigned (written before signing)")


def chain_statuses(records: list[Transition], trust: Trust) -> list[RecordStatus]:
    """Each record's status, checking one signature per run of consecutive records signed by
    the same key: the last one's signature covers the others' content through the hash chain,
    as a transparency log's signed head covers its leaves. Should that signature fail, every
    record of the run is checked on its own, so the failure is named where it is."""
    statuses: list[RecordStatus] = []
    start = 0
    while start < len(records):
        end = start
        while end + 1 < len(records) and _continues(records[end], records[end + 1]):
            end += 1
        last = record_status(records[end], trust)
        proven = last.state == VERIFIED
        statuses += [record_status(r, trust, proven=proven) for r in records[start:end]]
        statuses.append(last)
        start = end + 1
    return statuses


def _continues(record: Transition, following: Transition) -> bool:
    return bool(record.signature) and following.prev_hash == record.record_hash and (
        following.signer, following.key_fingerprint) == (record.signer, record.key_fingerprint)


def _signature_status(record: Transition, allowed: AllowedSigners | None,
                      proven: bool = False) -> RecordStatus:
    who = f"{record.signer} ({record.key_fingerprint})"
    if allowed is None or not allowed.entries:
        return RecordStatus(FAILED, f"signed by {who}, but no allowed signers to check it")
    entries = allowed.listing(record.signer, record.key_fingerprint)
    if not entries:
        return RecordStatus(FAILED, f"signed by {who}, a key {allowed.path} does not list "
                                    f"for {record.signer} (unknown signer)")
    message = signed.record_message(record.record_hash, record.signer, record.key_fingerprint)
    if not proven and not signed.signature_matches(entries[0].public_key, record.signature,
                                                   message):
        return RecordStatus(FAILED, f"signature by {who} does not match (record forged)")
    when = decided_time(record)
    if when is None or not any(e.valid_at(when) and e.signs_in(NAMESPACE) for e in entries):
        return RecordStatus(FAILED, f"{record.signer}'s key was not valid at "
                                    f"{record.decided_at} in {allowed.path}")
    if record.actor != record.signer and allowed.is_principal(record.actor):
        return RecordStatus(FAILED, f"claims {record.actor} decided, but {record.signer} signed")
    return RecordStatus(VERIFIED, f"signed by {record.signer}")


def head_fields(signer, head_seq: int, head_hash: str) -> dict:
    """The anchor's head signature properties ("" when unsigned)."""
    if signer is None:
        return {"head_signer": "", "head_key_fingerprint": "", "head_signature": ""}
    message = signed.head_message(head_seq, head_hash, signer.identity)
    return {"head_signer": signer.identity, "head_key_fingerprint": signer.key.fingerprint,
            "head_signature": signed.sign(signer, message)}


def head_problems(anchor, last: Transition, trust: Trust) -> list[str]:
    """The head of a signed log must carry a signature of (seq, hash) by an allowed signer."""
    head_seq, head_hash = schema.prop(anchor, "head_seq", 0), schema.prop(anchor, "head_hash")
    who, fingerprint = schema.prop(anchor, "head_signer"), schema.prop(anchor,
                                                                        "head_key_fingerprint")
    signature = schema.prop(anchor, "head_signature")
    if not signature:
        return [f"anchor head seq {head_seq} is unsigned although the log is signed "
                "(anchor rewritten)"]
    entries = trust.allowed.listing(who, fingerprint) if trust.allowed else []
    message = signed.head_message(head_seq, head_hash, who)
    if not any(signed.signature_matches(e.public_key, signature, message) for e in entries):
        return [f"anchor head seq {head_seq}: signature by {who} ({fingerprint}) does not "
                "verify against the allowed signers (anchor rewritten)"]
    return []
