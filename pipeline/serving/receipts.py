"""Prediction receipts: which model version and digest answered, HMAC-signed, and their checks."""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime

from pipeline.registry import RegistryError, schema
from pipeline.registry.chain import sign, signing_key

from . import capture
from .errors import ReceiptError

DEFAULT_KEY_ENV = "LEDGER_SIGNING_KEY"
SIGNED_FIELDS = ("model", "version", "model_digest", "prediction_id", "issued_at")

__all__ = ["Receipt", "ReceiptError", "ReceiptIssuer", "VerifiedReceipt", "find_receipt",
           "verify_receipt"]


def _canonical(values: dict) -> str:
    """Sorted keys, no whitespace, UTF-8: the same bytes on every machine."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Receipt:
    """Proof of which registered model version (and digest) produced one prediction."""

    model: str
    version: int
    model_digest: str
    prediction_id: str
    issued_at: str
    hmac: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.hmac)

    def canonical(self) -> str:
        """What the HMAC covers: the canonical JSON of every field but the HMAC."""
        return _canonical({name: getattr(self, name) for name in SIGNED_FIELDS})

    def to_dict(self) -> dict:
        """The receipt's fields plus `signed`, which says whether an HMAC is present."""
        # Spelled out rather than dataclasses.asdict: this runs once per prediction.
        return {"model": self.model, "version": self.version, "model_digest": self.model_digest,
                "prediction_id": self.prediction_id, "issued_at": self.issued_at,
                "hmac": self.hmac, "signed": bool(self.hmac)}

    def to_json(self) -> str:
        return _canonical(self.to_dict())

    @classmethod
    def from_dict(cls, raw) -> Receipt:
        """A receipt from its dict form; `signed` is derived, never trusted from the input."""
        if not isinstance(raw, dict):
            raise ReceiptError(f"a receipt is a JSON object, got {type(raw).__name__}")
        missing = [name for name in SIGNED_FIELDS if name not in raw]
        if missing:
            raise ReceiptError(f"receipt lacks field(s): {', '.join(missing)}")
        if not isinstance(raw["version"], int) or isinstance(raw["version"], bool):
            raise ReceiptError(f"receipt version must be an integer, got {raw['version']!r}")
        strings = [n for n in SIGNED_FIELDS if n != "version"] + ["hmac"]
        if any(not isinstance(raw.get(n, ""), str) for n in strings):
            raise ReceiptError("receipt fields other than version must be strings")
        return cls(**{name: raw[name] for name in SIGNED_FIELDS}, hmac=raw.get("hmac") or "")


class UtcClock:
    """utc_now()'s text (UTC, microseconds, Z) with the date and time formatted once a second."""

    def __init__(self):
        self._second = (None, "")  # one tuple, swapped whole: threads never see half an update

    def now(self) -> str:
        seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
        second = self._second
        if second[0] != seconds:
            second = self._second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S",
                                                            time.gmtime(seconds)))
        return f"{second[1]}.{micros:06d}Z"


class ReceiptIssuer:
    """Issues receipts for one model version; the key is read from the environment once."""

    def __init__(self, model: str, version: int, model_digest: str, key_env=DEFAULT_KEY_ENV):
        self.model, self.version, self.model_digest = model, int(version), model_digest
        self.key_env = key_env
        key = signing_key(key_env)
        # A keyed HMAC state copied per receipt skips re-deriving the key pads each time.
        self._mac = hmac_lib.new(key, digestmod=hashlib.sha256) if key else None
        self._id_prefix = f"{model}@{self.version}:"
        # Canonical JSON sorts keys: issued_at, model, model_digest, prediction_id, version.
        # Only issued_at and the id's hex change per receipt, so the rest is encoded once.
        self._middle = _canonical({"model": model, "model_digest": model_digest})[1:-1]
        self._id_json = json.dumps(self._id_prefix, ensure_ascii=False)[:-1]
        self._clock = UtcClock()

    @property
    def signing(self) -> bool:
        return self._mac is not None

    def issue(self) -> Receipt:
        """A fresh receipt: new prediction id, issue time now, HMAC when a key is configured."""
        # 128 random bits (uuid4 has 122) without building a UUID object per prediction.
        token, issued_at = os.urandom(16).hex(), self._clock.now()
        signature = ""
        if self._mac is not None:
            mac = self._mac.copy()
            mac.update(self._canonical(token, issued_at).encode("utf-8"))
            signature = mac.hexdigest()
        return Receipt(self.model, self.version, self.model_digest, self._id_prefix + token,
                       issued_at, signature)

    def _canonical(self, token: str, issued_at: str) -> str:
        """Receipt.canonical() for this issuer's receipts, without re-encoding constant fields."""
        return (f'{{"issued_at":"{issued_at}",{self._middle},'
                f'"prediction_id":{self._id_json}{token}","version":{self.version}}}')


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that passed verification, the stage of its version now, and what was checked."""

    receipt: Receipt
    stage: str
    hmac_checked: bool


def verify_receipt(registry, receipt, key_env=DEFAULT_KEY_ENV) -> VerifiedReceipt:
    """Check a receipt (or its dict) against the registry and key; ReceiptError says why not."""
    receipt = receipt if isinstance(receipt, Receipt) else Receipt.from_dict(receipt)
    key = signing_key(key_env)
    info, registry_problems = _registered(registry, receipt)
    problems = _id_problems(receipt) + registry_problems
    problems += _hmac_problems(receipt, key, key_env)
    if problems:
        raise ReceiptError(f"receipt {receipt.prediction_id} rejected: " + "; ".join(problems))
    return VerifiedReceipt(receipt, info.stage, hmac_checked=key is not None)


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


def _registered(registry, receipt: Receipt) -> tuple[object, list[str]]:
    """The version the receipt names, and problems if it does not exist or has another digest."""
    label = f"{receipt.model}@{receipt.version}"
    try:
        info = registry.version(receipt.model, receipt.version)
    except RegistryError as exc:
        return None, [f"{label} is not a registered version ({exc})"]
    if receipt.model_digest != info.model_digest:
        return info, [
            f"model_digest {receipt.model_digest} is not the registered digest of {label} "
            f"({info.model_digest}): forged or altered version"
        ]
    return info, []


def _hmac_problems(receipt: Receipt, key: bytes | None, key_env: str) -> list[str]:
    if key is None:
        return []  # nothing to check against; VerifiedReceipt.hmac_checked says so
    if not receipt.hmac:
        return [f"receipt is unsigned but a signing key is configured (${key_env})"]
    if not hmac_lib.compare_digest(sign(key, receipt.canonical()), receipt.hmac):
        return ["HMAC does not match: receipt altered or signed with another key"]
    return []


def find_receipt(paths, prediction_id: str) -> Receipt:
    """The receipt of a captured prediction, from its version's capture files."""
    model, _, rest = prediction_id.partition("@")
    version, _, token = rest.partition(":")
    if not (schema.valid_model_name(model) and version.isdigit() and token):
        raise ReceiptError(f"{prediction_id!r} is not a prediction id (MODEL@VERSION:HEX)")
    for line in capture.lines_with(paths.captures_root, model, int(version), prediction_id):
        if line.get("prediction_id") == prediction_id:
            return Receipt.from_dict(line["receipt"])
    raise ReceiptError(
        f"no captured prediction {prediction_id} under {paths.captures_root} (not sampled for "
        f"capture, captured elsewhere, or not written yet: lines follow predictions by about "
        f"{capture.FLUSH_SECONDS} s)"
    )


def receipts_in(document) -> list:
    """A receipt, a list of receipts, or a served response / capture line holding them."""
    if isinstance(document, dict) and "receipts" in document:
        return document["receipts"]
    if isinstance(document, dict) and "receipt" in document:
        return [document["receipt"]]
    return document if isinstance(document, list) else [document]
