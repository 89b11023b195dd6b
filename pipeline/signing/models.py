"""Signed models: OpenSSF model-signing over every file of a pushed version, ECDSA P-256 keys."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .allowed_signers import AllowedSigners
from .keys import (
    ECDSA_P256,
    KeyFileError,
    SigningKey,
    ensure_key,
    fingerprint,
    load_public_key,
    load_signing_key,
)

# Inside the version directory: TF Serving loads saved_model.pb and variables/ and ignores other
# files (as it does manifest.json), and the model digest leaves it out (pipeline/digest.py).
SIGNATURE_FILE = "model.sig"
# The allowed-signers namespace of model keys: kept apart from "tfx-ledger" (governance records,
# receipts), so a model key signs models and nothing else, and no record key signs models.
MODEL_NAMESPACE = "tfx-ledger-models"


class ModelSignatureError(ValueError):
    """A model's signature is missing, by a key the allowed signers do not list, or does not
    match the files."""


def _model_signing():
    """model_signing, importable only once urllib3 (1.26 here, pinned by kfp) has the 2.x name
    BaseHTTPResponse that its sigstore dependency imports; the alias lives here and only here."""
    import urllib3
    import urllib3.response

    if not hasattr(urllib3, "BaseHTTPResponse"):
        urllib3.BaseHTTPResponse = urllib3.response.HTTPResponse
    import model_signing.hashing
    import model_signing.signing
    import model_signing.verifying
    from model_signing._signing import sign_ec_key

    return model_signing, sign_ec_key


def key_hint(public_key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the key's SubjectPublicKeyInfo PEM: how a model-signing bundle names its key."""
    pem = public_key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(pem).hexdigest()


def _hashing(ms):
    """Every file but the signature itself, git-looking names included, SHA-256 per file."""
    return ms.hashing.Config().set_ignored_paths(paths=[SIGNATURE_FILE], ignore_git_paths=False)


def _require_p256(key: SigningKey) -> None:
    if key.key_type != ECDSA_P256:
        raise KeyFileError(f"{key.path}: a {key.key_type} key; model signing needs "
                           f"{ECDSA_P256} (model-signing's key signer takes no Ed25519 keys)")


def sign_model(directory: str, key: SigningKey) -> str:
    """Write `directory`/model.sig: an in-toto statement over every file's SHA-256, signed
    offline (DSSE in a Sigstore bundle, no transparency log); returns the key's fingerprint."""
    _require_p256(key)
    ms, sign_ec_key = _model_signing()

    class KeySigner(sign_ec_key.Signer):
        def __init__(self, private_key):  # the library's own reads a PEM path; ours may be SSH
            self._private_key = private_key

    config = ms.signing.Config().set_hashing_config(_hashing(ms))
    config._signer = KeySigner(key.private_key)
    config.sign(pathlib.Path(directory), pathlib.Path(directory, SIGNATURE_FILE))
    return key.fingerprint


@dataclass(frozen=True)
class ModelSignature:
    """A verified model signature: the signing key, who the allowed signers list it for, and
    how many files it covers."""

    fingerprint: str
    principals: tuple[str, ...]
    files: int


def signer_hint(directory: str) -> str:
    """The key hint a signature bundle carries, or ModelSignatureError if there is none."""
    path = os.path.join(directory, SIGNATURE_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            bundle = json.load(handle)
        return bundle["verificationMaterial"]["publicKey"]["hint"] or ""
    except FileNotFoundError:
        raise ModelSignatureError(f"{path} is missing: the model is not signed") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelSignatureError(f"{path} is not a model-signing bundle ({exc})") from None


def _listed(directory: str, hint: str, trusted: AllowedSigners, when: datetime | None):
    """The allowed-signers entry of the signing key (valid at `when`), else ModelSignatureError."""
    signature = os.path.join(directory, SIGNATURE_FILE)
    listed = [e for e in trusted.entries if isinstance(e.public_key, ec.EllipticCurvePublicKey)
              and key_hint(e.public_key) == hint
              and e.signs_in(MODEL_NAMESPACE)]
    if not listed:
        raise ModelSignatureError(f"{signature} is signed by an unknown key (hint {hint[:16]}…): "
                                  f"{trusted.path} lists no such {ECDSA_P256} key for "
                                  f"namespace {MODEL_NAMESPACE}")
    valid = [e for e in listed if when is None or e.valid_at(when)]
    if not valid:
        windows = "; ".join(f"line {e.line}: {e.window()}" for e in listed)
        raise ModelSignatureError(f"{signature}: key {listed[0].fingerprint} was not valid at "
                                  f"{when.isoformat()} in {trusted.path} ({windows})")
    return valid[0]


def _key_verifier(sign_ec_key, public_key):
    """model-signing's EC verifier over a key already loaded (the library's own reads a PEM
    path; ours come from the allowed-signers file)."""
    verifier = sign_ec_key.Verifier.__new__(sign_ec_key.Verifier)
    verifier._public_key = public_key
    return verifier


def verify_model(directory: str, trusted: AllowedSigners,
                 when: datetime | None = None) -> ModelSignature:
    """Check `directory`/model.sig: made by a key the allowed signers list (valid at `when`, the
    push time, when given) and matching every file now in the directory."""
    entry = _listed(directory, signer_hint(directory), trusted, when)
    signature = os.path.join(directory, SIGNATURE_FILE)
    ms, sign_ec_key = _model_signing()

    config = ms.verifying.Config().set_hashing_config(_hashing(ms))
    config._verifier = _key_verifier(sign_ec_key, entry.public_key)
    try:
        config.verify(pathlib.Path(directory), pathlib.Path(signature))
    except ValueError as exc:
        raise ModelSignatureError(
            f"signature {signature} does not match the files: {_mismatch(directory, exc)}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - altered signature bytes raise InvalidSignature
        raise ModelSignatureError(f"{signature} does not verify with key {entry.fingerprint} "
                                  f"({type(exc).__name__}: signature altered)") from None
    files = sum(1 for path in pathlib.Path(directory).rglob("*") if path.is_file()) - 1
    return ModelSignature(entry.fingerprint, entry.principals, files)


def _mismatch(directory: str, exc: ValueError) -> str:
    """model-signing's manifest diff (a list's repr) as the files that differ, by path."""
    text = str(exc)
    found = [("changed since signing", re.findall(r"Hash mismatch for '([^']+)'", text))]
    for label, pattern in (("not signed (extra)", "Extra files found in model"),
                           ("signed but missing", "Missing files in model")):
        match = re.search(pattern + r" '[^']*': ([^\"\]]+)", text)
        found.append((label, match.group(1).split(", ") if match else []))
    parts = [f"{label}: {', '.join(os.path.join(directory, rel) for rel in names)}"
             for label, names in found if names]
    return "; ".join(parts) or text


@dataclass(frozen=True)
class ModelKeys:
    """What a push signs with (None: unsigned) and which signers a load trusts (None: model
    signatures are not checked, as before signing existed)."""

    signer: SigningKey | None = None
    trusted: AllowedSigners | None = None

    @classmethod
    def of(cls, settings, *, pushes: bool = False) -> ModelKeys:
        """From the settings: trust their allowed signers; sign with the model key if pushing."""
        signer = model_signing_key(settings) if pushes else None
        if signer is None:
            _relist_home_key(settings)
        return cls(signer, AllowedSigners.load_or_empty(settings.allowed_signers_path))


def model_signing_key(settings) -> SigningKey:
    """The pipeline's model-signing key: created in the home on first use (mode 0600) and listed
    for the service identity in the home's allowed signers; a managed key must already exist."""
    path = settings.model_key_path
    if settings.model_key_managed:
        key = load_signing_key(path, types=(ECDSA_P256,))
    else:
        key, _ = ensure_key(path, kind=ECDSA_P256,
                            comment=f"{settings.service_identity} (tfx-ledger model signing)")
    if settings.uses_home_allowed_signers:
        _list_in_home(settings.allowed_signers_path, settings.service_identity, key)
    return key


def _relist_home_key(settings) -> None:
    """A home whose generated model key was listed before model keys had their own namespace
    (under "tfx-ledger") gets it listed for models too, once; managed keys are left alone."""
    public = settings.model_key_path + ".pub"
    if settings.model_key_managed or not settings.uses_home_allowed_signers:
        return
    if os.path.exists(public) and os.path.exists(settings.allowed_signers_path):
        with open(public, encoding="ascii") as handle:
            key = load_public_key(" ".join(handle.read().split()[:2]), public)
        _list_in_home(settings.allowed_signers_path, settings.service_identity, key)


def _list_in_home(path: str, identity: str, key) -> None:
    """List `key` (a SigningKey or a public key) for `identity` in the models' namespace."""
    public = getattr(key, "public_key", key)
    signers = AllowedSigners.load_or_empty(path)
    if not any(MODEL_NAMESPACE in e.namespaces
               for e in signers.listing(identity, fingerprint(public))):
        signers.append(signers.entry_line(identity, public, MODEL_NAMESPACE)
                       + " tfx-ledger model key")


def signed_files(directory: str, trusted: AllowedSigners,
                 when: datetime | None = None) -> dict[str, str]:
    """{relative path: sha256} that `directory`/model.sig signs, once its signature checks out
    against the allowed signers; the files themselves are not read (they may be elsewhere, as
    for an audit bundle carrying the signature and the manifest only)."""
    entry = _listed(directory, signer_hint(directory), trusted, when)
    signature = os.path.join(directory, SIGNATURE_FILE)
    _, sign_ec_key = _model_signing()
    from model_signing._signing import sign_sigstore_pb

    try:
        manifest = _key_verifier(sign_ec_key, entry.public_key).verify(
            sign_sigstore_pb.Signature.read(pathlib.Path(signature)))
    except Exception as exc:  # noqa: BLE001 - altered bytes raise InvalidSignature, bad JSON more
        raise ModelSignatureError(f"{signature} does not verify with key {entry.fingerprint} "
                                  f"({type(exc).__name__}: signature altered)") from None
    return {str(d.identifier): d.digest.digest_hex for d in manifest.resource_descriptors()}
