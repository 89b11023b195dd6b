"""Prediction receipts: which model version and digest gave which outputs, signed with Ed25519."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass

from pipeline.registry import schema

from . import capture
from .errors import ReceiptError

# What an HMAC receipt (before asymmetric signing) covers; verification still reads them.
LEGACY_FIELDS = ("model", "version", "model_digest", "prediction_id", "issued_at")
SIGNED_FIELDS = LEGACY_FIELDS + ("outputs_sha256", "imputed", "signer", "key")
_STRINGS = ("model", "model_digest", "prediction_id", "issued_at", "outputs_sha256", "signer",
            "key", "signature", "hmac")


# One encoder for every receipt: json.dumps with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(values) -> str:
    """Sorted keys, no whitespace, UTF-8: the same bytes on every machine."""
    return _CANONICAL(values)


def outputs_digest(outputs: dict) -> str:
    """SHA-256 of a prediction's outputs (TF Serving row) as canonical JSON."""
    return hashlib.sha256(canonical_json(outputs).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Receipt:
    """Proof of which registered model version (and digest) produced one prediction's outputs.

    `signature` is the Ed25519 signature, by `signer`'s key `key` (an SSH fingerprint), of the
    canonical JSON of SIGNED_FIELDS. `hmac` is the legacy form, over LEGACY_FIELDS only.
    """

    model: str
    version: int
    model_digest: str
    prediction_id: str
    issued_at: str
    outputs_sha256: str = ""
    imputed: tuple[str, ...] = ()
    signer: str = ""
    key: str = ""
    signature: str = ""
    hmac: str = ""

    @property
    def scheme(self) -> str:
        return "ed25519" if self.signature else "hmac" if self.hmac else "unsigned"

    @property
    def signed(self) -> bool:
        return bool(self.signature or self.hmac)

    def canonical(self) -> str:
        """The signed bytes: canonical JSON of SIGNED_FIELDS (LEGACY_FIELDS for HMAC receipts)."""
        names = LEGACY_FIELDS if self.scheme == "hmac" else SIGNED_FIELDS
        values = {name: getattr(self, name) for name in names}
        if "imputed" in values:
            values["imputed"] = list(self.imputed)
        return canonical_json(values)

    def to_dict(self) -> dict:
        """The receipt's fields plus `signed`; the legacy hmac only when the receipt has one."""
        # Spelled out rather than dataclasses.asdict: this runs once per prediction.
        out = {"model": self.model, "version": self.version, "model_digest": self.model_digest,
               "prediction_id": self.prediction_id, "issued_at": self.issued_at,
               "outputs_sha256": self.outputs_sha256, "imputed": list(self.imputed),
               "signer": self.signer, "key": self.key, "signature": self.signature,
               "signed": self.signed}
        if self.hmac:
            out["hmac"] = self.hmac
        return out

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, raw) -> Receipt:
        """A receipt from its dict form; `signed` is derived, never trusted from the input."""
        if not isinstance(raw, dict):
            raise ReceiptError(f"a receipt is a JSON object, got {type(raw).__name__}")
        missing = [name for name in LEGACY_FIELDS if name not in raw]
        if missing:
            raise ReceiptError(f"receipt lacks field(s): {', '.join(missing)}")
        if not isinstance(raw["version"], int) or isinstance(raw["version"], bool):
            raise ReceiptError(f"receipt version must be an integer, got {raw['version']!r}")
        if any(not isinstance(raw.get(name, ""), str) for name in _STRINGS):
            raise ReceiptError("receipt fields other than version and imputed must be strings")
        imputed = raw.get("imputed") or []
        if not isinstance(imputed, list) or not all(isinstance(n, str) for n in imputed):
            raise ReceiptError(f"receipt imputed must be a list of feature names, got {imputed!r}")
        return cls(**{name: raw.get(name) or "" for name in _STRINGS},
                   version=raw["version"], imputed=tuple(imputed))


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
    """Issues receipts for one model version, signed by `signer` (pipeline.signing.identity's
    Signer: identity and Ed25519 key); without one, receipts are unsigned."""

    def __init__(self, model: str, version: int, model_digest: str, signer=None):
        self.model, self.version, self.model_digest = model, int(version), model_digest
        self.signer = signer
        identity, fingerprint = (signer.identity, signer.key.fingerprint) if signer else ("", "")
        self._sign = signer.key.sign if signer else None  # Ed25519 (or a P-256 service key)
        self._constants = {"model": model, "version": self.version, "model_digest": model_digest,
                           "signer": identity, "key": fingerprint}
        self._id_prefix = f"{model}@{self.version}:"
        # Canonical JSON sorts keys: imputed, issued_at, key, model, model_digest, outputs_sha256,
        # prediction_id, signer, version. The constant ones are encoded once, here.
        self._key_model = canonical_json({"key": fingerprint, "model": model,
                                          "model_digest": model_digest})[1:-1]
        self._signer_version = canonical_json({"signer": identity, "version": self.version})[1:-1]
        self._id_json = json.dumps(self._id_prefix, ensure_ascii=False)[:-1]
        self._clock = UtcClock()

    @property
    def signing(self) -> bool:
        return self._sign is not None

    def issue(self, outputs: dict, imputed=()) -> Receipt:
        """A fresh receipt for `outputs`: new prediction id, issue time now, signed if it can."""
        # 128 random bits (uuid4 has 122) without building a UUID object per prediction.
        token, issued_at = os.urandom(16).hex(), self._clock.now()
        names = tuple(sorted(imputed))
        sha = outputs_digest(outputs)
        signature = ""
        if self._sign is not None:
            message = self._canonical(names, issued_at, sha, token).encode("utf-8")
            signature = base64.b64encode(self._sign(message)).decode("ascii")
        return Receipt(prediction_id=self._id_prefix + token, issued_at=issued_at,
                       outputs_sha256=sha, imputed=names, signature=signature, **self._constants)

    def _canonical(self, imputed: tuple, issued_at: str, sha: str, token: str) -> str:
        """Receipt.canonical() for this issuer's receipts, without re-encoding constant fields."""
        names = canonical_json(list(imputed)) if imputed else "[]"
        return (f'{{"imputed":{names},"issued_at":"{issued_at}",{self._key_model},'
                f'"outputs_sha256":"{sha}","prediction_id":{self._id_json}{token}",'
                f'{self._signer_version}}}')


def find_receipt(paths, prediction_id: str) -> tuple[Receipt, dict | None]:
    """The receipt of a captured prediction and its captured outputs, from the capture files."""
    line = find_capture(paths, prediction_id)
    return Receipt.from_dict(line["receipt"]), line.get("outputs")


def find_capture(paths, prediction_id: str) -> dict:
    """The capture record of a prediction: its features (inputs), outputs and receipt."""
    model, _, rest = prediction_id.partition("@")
    version, _, token = rest.partition(":")
    if not (schema.valid_model_name(model) and version.isdigit() and token):
        raise ReceiptError(f"{prediction_id!r} is not a prediction id (MODEL@VERSION:HEX)")
    for line in capture.lines_with(paths.captures_root, model, int(version), prediction_id):
        if line.get("prediction_id") == prediction_id:
            return line
    raise ReceiptError(
        f"no captured prediction {prediction_id} under {paths.captures_root} (not sampled for "
        f"capture, captured elsewhere, or not written yet: lines follow predictions by about "
        f"{capture.FLUSH_SECONDS} s)"
    )


def receipts_in(document) -> list[tuple[object, dict | None]]:
    """(receipt, outputs or None) pairs from a receipt, a list of receipts, a served response
    ({"predictions", "receipts"}) or a capture line ({"outputs", "receipt"})."""
    if isinstance(document, dict) and "receipts" in document:
        predictions, receipts = document.get("predictions"), document["receipts"]
        if predictions is None:
            return [(receipt, None) for receipt in receipts]
        if not isinstance(predictions, list) or len(predictions) != len(receipts):
            raise ReceiptError(f"the response holds {len(receipts)} receipts but "
                               f"{len(predictions) if isinstance(predictions, list) else 'no'} "
                               "predictions: each receipt signs one prediction's outputs")
        return list(zip(receipts, predictions, strict=True))
    if isinstance(document, dict) and "receipt" in document:
        return [(document["receipt"], document.get("outputs"))]
    return [(r, None) for r in (document if isinstance(document, list) else [document])]
