"""Checking receipts: Ed25519 signatures against the allowed signers (offline), legacy HMACs,
the outputs they name, and, with a registry, the version and digest they claim."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac as hmac_lib
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeline.registry import RegistryError
from pipeline.signing.allowed_signers import AllowedSigner, AllowedSigners, SignerNotAllowedError
from pipeline.signing.keys import KeyFileError, fingerprint, load_public_key, verify_signature

from .errors import ReceiptError
from .receipts import Receipt, outputs_digest


@dataclass(frozen=True)
class ReceiptTrust:
    """Who may sign receipts (allowed signers) and the legacy HMAC key for old receipts."""

    signers: AllowedSigners
    hmac_key: bytes | None = None

    @classmethod
    def of(cls, settings) -> ReceiptTrust:
        return cls(AllowedSigners.load_or_empty(settings.allowed_signers_path), settings.hmac_key)

    @classmethod
    def public_key(cls, path: str) -> ReceiptTrust:
        """Trust one OpenSSH public key file (`ssh-ed25519 AAAA... comment`) for any identity:
        what a client holding only the serving key's .pub checks offline with."""
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"{path}: cannot read the public key ({exc})") from None
        key = load_public_key(" ".join(text.split()[:2]), path)
        entry = AllowedSigner(principals=("*",), public_key=key, fingerprint=fingerprint(key))
        return cls(AllowedSigners(path=path, entries=(entry,)))


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that passed: how it was signed and by whom, and its version's stage now ("" when
    checked offline, without the registry)."""

    receipt: Receipt
    stage: str
    scheme: str
    signer: str
    outputs_checked: bool

    @property
    def how(self) -> str:
        checked = "Ed25519 signature" if self.scheme == "ed25519" else "legacy HMAC"
        outputs = ", outputs match" if self.outputs_checked else ""
        return f"{checked} by {self.signer}{outputs}"


def verify_receipt(registry, receipt, trust: ReceiptTrust, outputs: dict | None = None
                   ) -> VerifiedReceipt:
    """Check a receipt (or its dict): signature, the outputs if given, and with a registry (None:
    offline) the version and digest it names. ReceiptError lists every problem found."""
    receipt = receipt if isinstance(receipt, Receipt) else Receipt.from_dict(receipt)
    problems = _id_problems(receipt) + _signature_problems(receipt, trust)
    if outputs is not None and receipt.outputs_sha256 != outputs_digest(outputs):
        problems.append("outputs differ from the ones the receipt signs (outputs altered)")
    stage = ""
    if registry is not None:
        stage, registry_problems = _registered(registry, receipt)
        problems += registry_problems
    if problems:
        raise ReceiptError(f"receipt {receipt.prediction_id} rejected: " + "; ".join(problems))
    signer = receipt.signer if receipt.scheme == "ed25519" else "the shared HMAC key"
    return VerifiedReceipt(receipt, stage, receipt.scheme, signer, outputs is not None)


def _signature_problems(receipt: Receipt, trust: ReceiptTrust) -> list[str]:
    if receipt.scheme == "ed25519":
        return _ed25519_problems(receipt, trust.signers)
    if receipt.scheme == "hmac":
        return _hmac_problems(receipt, trust.hmac_key)
    return ["receipt is unsigned: nothing proves which model made it"]


def _ed25519_problems(receipt: Receipt, signers: AllowedSigners) -> list[str]:
    try:
        when = datetime.strptime(receipt.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        entry = signers.check(receipt.signer, receipt.key, when.replace(tzinfo=timezone.utc))
    except ValueError as exc:  # SignerNotAllowedError, or a bad time reported by _id_problems
        return [str(exc)] if isinstance(exc, SignerNotAllowedError) else []
    try:
        signature = base64.b64decode(receipt.signature, validate=True)
    except (binascii.Error, ValueError):
        return ["signature is not base64"]
    if not verify_signature(entry.public_key, signature, receipt.canonical().encode("utf-8")):
        return [f"signature does not verify with {receipt.signer}'s key {receipt.key}: "
                "receipt altered or signed with another key"]
    return []


def _hmac_problems(receipt: Receipt, key: bytes | None) -> list[str]:
    if key is None:
        return ["legacy HMAC receipt, but no HMAC key is configured (LEDGER_SIGNING_KEY) to "
                "check it"]
    expected = hmac_lib.new(key, receipt.canonical().encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac_lib.compare_digest(expected, receipt.hmac):
        return ["HMAC does not match: receipt altered or signed with another key"]
    return []


def _id_problems(receipt: Receipt) -> list[str]:
    problems = []
    expected = f"{receipt.model}@{receipt.version}:"
    if not receipt.prediction_id.startswith(expected):
        problems.append(
            f"prediction_id {receipt.prediction_id!r} does not belong to "
            f"{receipt.model}@{receipt.version} (version or model altered)"
        )
    try:
        datetime.strptime(receipt.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        problems.append(f"issued_at {receipt.issued_at!r} is not UTC ISO-8601")
    return problems


def _registered(registry, receipt: Receipt) -> tuple[str, list[str]]:
    """The stage of the version the receipt names, and problems if it is unknown or differs."""
    label = f"{receipt.model}@{receipt.version}"
    try:
        info = registry.version(receipt.model, receipt.version)
    except RegistryError as exc:
        return "", [f"{label} is not a registered version ({exc})"]
    if receipt.model_digest != info.model_digest:
        return info.stage, [
            f"model_digest {receipt.model_digest} is not the registered digest of {label} "
            f"({info.model_digest}): forged or altered version"
        ]
    return info.stage, []
