"""What is signed: a governance record, the log's head, a checkpoint (domain-separated bytes)."""

from __future__ import annotations

import base64

from .identity import Signer
from .keys import PublicKey, verify_signature

RECORD = "tfx-ledger/record/v1"
HEAD = "tfx-ledger/head/v1"
CHECKPOINT = "tfx-ledger/checkpoint/v1"


def record_message(record_hash: str, signer: str, key_fingerprint: str) -> bytes:
    """The record's hash covers every field and the link to the previous record; the signer's
    identity and key are bound too, so a signature cannot be re-attributed."""
    return f"{RECORD}\n{record_hash}\n{signer}\n{key_fingerprint}\n".encode()


def head_message(head_seq: int, head_hash: str, signer: str) -> bytes:
    return f"{HEAD}\n{head_seq}\n{head_hash}\n{signer}\n".encode()


def checkpoint_message(canonical: bytes) -> bytes:
    """A checkpoint's canonical JSON (which names its signer and key) under its own domain."""
    return f"{CHECKPOINT}\n".encode() + canonical


def sign(signer: Signer, message: bytes) -> str:
    """Base64 signature of `message` by `signer`."""
    return base64.b64encode(signer.key.sign(message)).decode("ascii")


def signature_matches(public_key: PublicKey, signature: str, message: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return False
    return verify_signature(public_key, raw, message)


def signature_fields(signer: Signer | None, record_hash: str) -> dict:
    """signer, key_fingerprint and signature properties of a record ("" when unsigned)."""
    if signer is None:
        return {"signer": "", "key_fingerprint": "", "signature": ""}
    fingerprint = signer.key.fingerprint
    message = record_message(record_hash, signer.identity, fingerprint)
    return {"signer": signer.identity, "key_fingerprint": fingerprint,
            "signature": sign(signer, message)}
