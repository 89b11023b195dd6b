"""Checkpoints: a verified head of the governance log kept outside the store.

A checkpoint names the last record verified (seq and hash) and each model's last record then.
`ledger verify --checkpoint FILE` checks only what was appended since; a chain rewritten or cut
below the checkpoint no longer reaches its hash. Like a transparency log's signed tree head, the
checkpoint is signed (canonical JSON naming its signer and key); verify accepts it only when
that signer is in the allowed signers, so whoever can write the store cannot forge one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace

from pipeline.signing import records as signed
from pipeline.signing.allowed_signers import AllowedSigners

from .errors import RegistryError

FORMAT = "tfx-ledger-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The log as verified: its last record and every model's last record (by seq)."""

    seq: int
    record_hash: str
    heads: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    signer: str = ""
    key_fingerprint: str = ""
    signature: str = ""

    def canonical(self) -> bytes:
        """The bytes a signature covers: sorted keys, no whitespace, all but the signature."""
        body = dict(asdict(self), format=FORMAT)
        body.pop("signature")
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed_by(self, signer) -> "Checkpoint":
        named = replace(self, signer=signer.identity, key_fingerprint=signer.key.fingerprint)
        message = signed.checkpoint_message(named.canonical())
        return replace(named, signature=signed.sign(signer, message))

    def signature_problems(self, allowed: AllowedSigners | None, where: str) -> list[str]:
        """Why this checkpoint cannot be trusted: unsigned, or not by an allowed signer."""
        if not self.signature:
            return [f"checkpoint {where} is unsigned: anyone could have written it"]
        entries = [e for e in (allowed.entries if allowed else ())
                   if e.fingerprint == self.key_fingerprint and e.names(self.signer)]
        message = signed.checkpoint_message(self.canonical())
        if not any(signed.signature_matches(e.public_key, self.signature, message)
                   for e in entries):
            known = "a key" if entries else "an unknown key"
            return [f"checkpoint {where} is signed by {known} ({self.signer}, "
                    f"{self.key_fingerprint}) that the allowed signers do not confirm"]
        return []


def file_name(checkpoint: Checkpoint) -> str:
    """checkpoint-<seq>.json, for `ledger checkpoint --out DIRECTORY`."""
    return f"checkpoint-{checkpoint.seq:010d}.json"


def current(store, created_at: str) -> Checkpoint:
    """The log's head as it stands: anchor and model heads read consistently (no append between
    the reads). Unverified: the registry checkpoints only after verify passes."""
    from . import heads, log, schema

    for _ in range(log.MAX_ATTEMPTS):
        anchor = log.read_anchor(store)
        seq = schema.prop(anchor, "head_seq", 0) if anchor is not None else 0
        found = {h.model_name: h.seq for h in heads.read_all(store)}
        if all(s <= seq for s in found.values()):
            break
        log.backoff(0)
    record_hash = schema.prop(anchor, "head_hash", "") if anchor is not None else ""
    return Checkpoint(seq, record_hash, found, created_at)


def write(path: str, checkpoint: Checkpoint) -> str:
    """Write atomically (a crash never leaves half a checkpoint); returns the path.

    A directory gets checkpoint-<seq>.json inside it."""
    if os.path.isdir(path):
        path = os.path.join(path, file_name(checkpoint))
    body = dict(json.loads(checkpoint.canonical()), signature=checkpoint.signature)
    staging = f"{path}.tmp"
    with open(staging, "wb") as handle:
        handle.write(json.dumps(body, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    return path


def read(path: str) -> Checkpoint:
    """A checkpoint file, or one RegistryError naming the file and what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
    except OSError as exc:
        raise RegistryError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise RegistryError(f"checkpoint {path} is not JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise RegistryError(f"checkpoint {path}: format is not {FORMAT}")
    try:
        heads = {str(k): int(v) for k, v in dict(body["heads"]).items()}
        return Checkpoint(int(body["seq"]), str(body["record_hash"]), heads,
                          str(body.get("created_at", "")), str(body.get("signer", "")),
                          str(body.get("key_fingerprint", "")), str(body.get("signature", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryError(f"checkpoint {path}: missing or malformed field {exc}") from None
