"""Signed models: OpenSSF model-signing over every file of a pushed version, ECDSA P-256 keys."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# Inside the version directory: TF Serving loads saved_model.pb and variables/ and ignores other
# files (as it does manifest.json), and the model digest leaves it out (pipeline/digest.py).
SIGNATURE_FILE = "model.sig"
# The service key: created on first use with mode 0600; its public half sits next to it.
KEYS_DIR = "keys"
SERVICE_KEY_FILE = "model-signing.pem"
PUBLIC_SUFFIX = ".pub.pem"


class ModelKeyError(ValueError):
    """A model-signing key file is missing, unreadable or not an ECDSA P-256 key."""


class ModelSignatureError(ValueError):
    """A model's signature is missing, by an unknown key, or does not match its files."""


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

    return model_signing


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the key's SubjectPublicKeyInfo PEM: the hint model-signing puts in a bundle."""
    pem = public_key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(pem).hexdigest()


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ModelKeyError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ModelKeyError(f"{what} {path} cannot be read: {exc.strerror}") from None


def _require_p256(key, path: str, what: str):
    if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        kind = type(key).__name__.lstrip("_").replace("PrivateKey", "").replace("PublicKey", "")
        raise ModelKeyError(f"{what} {path} holds an {kind} key; model signing needs ECDSA P-256 "
                            "(model-signing's key signer takes no Ed25519 or RSA keys)")
    if key.curve.name != "secp256r1":
        raise ModelKeyError(f"{what} {path} is on curve {key.curve.name}; expected P-256")
    return key


def load_private_key(path: str) -> ec.EllipticCurvePrivateKey:
    """The PEM private key at `path`, or ModelKeyError naming the file and what is wrong."""
    raw = _read(path, "model-signing key")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise ModelKeyError(f"model-signing key {path} is not an unencrypted PEM private key "
                            f"({exc})") from None
    return _require_p256(key, path, "model-signing key")


def load_public_key(path: str) -> ec.EllipticCurvePublicKey:
    """The PEM public key at `path`, or ModelKeyError naming the file and what is wrong."""
    raw = _read(path, "model public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise ModelKeyError(f"model public key {path} is not a PEM public key ({exc})") from None
    return _require_p256(key, path, "model public key")


def public_key_path(private_key_path: str) -> str:
    """KEY.pem -> KEY.pub.pem: where a private key's public half is kept."""
    stem = private_key_path[:-4] if private_key_path.endswith(".pem") else private_key_path
    return stem + PUBLIC_SUFFIX


def service_key_path(home: str) -> str:
    """The home's model-signing service key: <home>/keys/model-signing.pem."""
    return os.path.join(home, KEYS_DIR, SERVICE_KEY_FILE)


@dataclass(frozen=True)
class ModelKeys:
    """What pushes sign with and what loads trust.

    `signing_key`: a P-256 PEM private key path ("" = pushes are not signed).
    `trusted`: PEM public key paths a signature must come from; None = signatures not checked.
    """

    signing_key: str = ""
    trusted: tuple[str, ...] | None = None

    @classmethod
    def of_home(cls, home: str, *, create: bool = False) -> ModelKeys:
        """The home's service key: created on first use when `create`, trusted either way."""
        path = service_key_path(home)
        if create:
            ensure_service_key(path)
        return cls(signing_key=path if create else "", trusted=(public_key_path(path),))

    @classmethod
    def managed(cls, private_key: str, trusted: tuple[str, ...] = ()) -> ModelKeys:
        """A key kept elsewhere (a mounted secret): signs with it, trusts its public half."""
        load_private_key(private_key)
        return cls(signing_key=private_key, trusted=(public_key_path(private_key), *trusted))


def ensure_service_key(path: str) -> str:
    """Create the P-256 service key at `path` (0600) and its public half if absent; the path."""
    if os.path.exists(path):
        load_private_key(path)  # an existing file must be a usable key, never overwritten
        return path
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    staging = f"{path}.{os.getpid()}.tmp"
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    _write_public(key, public_key_path(path))
    try:
        os.link(staging, path)  # never replaces a key another process created meanwhile
    except FileExistsError:
        pass
    finally:
        os.remove(staging)
    _write_public(load_private_key(path), public_key_path(path))
    return path


def _write_public(key: ec.EllipticCurvePrivateKey, path: str) -> None:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    staging = f"{path}.{os.getpid()}.tmp"
    with open(staging, "wb") as handle:
        handle.write(pem)
    os.replace(staging, path)


def _hashing(ms):
    """Every file but the signature itself, git-looking names included, SHA-256 per file."""
    return ms.hashing.Config().set_ignored_paths(paths=[SIGNATURE_FILE], ignore_git_paths=False)


def sign_model(directory: str, private_key_path: str) -> str:
    """Write `directory`/model.sig: an in-toto statement over every file's SHA-256, signed
    offline with the key; returns the signer's key id."""
    key = load_private_key(private_key_path)
    ms = _model_signing()
    config = ms.signing.Config().set_hashing_config(_hashing(ms))
    config.use_elliptic_key_signer(private_key=private_key_path)
    config.sign(pathlib.Path(directory), pathlib.Path(directory, SIGNATURE_FILE))
    return key_id(key.public_key())


@dataclass(frozen=True)
class ModelSignature:
    """A verified model signature: the key that made it and how many files it covers."""

    key_id: str
    public_key_path: str
    files: int


def signer_hint(directory: str) -> str:
    """The key id a signature bundle names, or ModelSignatureError if there is none."""
    path = os.path.join(directory, SIGNATURE_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            bundle = json.load(handle)
        return bundle["verificationMaterial"]["publicKey"]["hint"] or ""
    except FileNotFoundError:
        raise ModelSignatureError(f"{path} is missing: the model is not signed") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelSignatureError(f"{path} is not a model-signing bundle ({exc})") from None


def verify_model(directory: str, public_key_paths: list[str]) -> ModelSignature:
    """Check `directory`/model.sig against the trusted public keys and every file's digest."""
    hint = signer_hint(directory)
    trusted = {key_id(load_public_key(path)): path for path in public_key_paths}
    signature = os.path.join(directory, SIGNATURE_FILE)
    if hint not in trusted:
        raise ModelSignatureError(
            f"{signature} is signed by an unknown key {hint[:16] or '(none named)'}…; "
            f"trusted: {', '.join(k[:16] + '…' for k in trusted) or 'no key'}")
    ms = _model_signing()
    config = ms.verifying.Config().set_hashing_config(_hashing(ms))
    config.use_elliptic_key_verifier(public_key=trusted[hint])
    try:
        config.verify(pathlib.Path(directory), pathlib.Path(signature))
    except ValueError as exc:
        raise ModelSignatureError(
            f"signature {signature} does not match the files: {_mismatch(directory, exc)}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a bad signature bytes string raises InvalidSignature
        raise ModelSignatureError(f"{signature} does not verify with key {hint[:16]}… "
                                  f"({type(exc).__name__}: signature altered)") from None
    files = sum(1 for _ in pathlib.Path(directory).rglob("*") if _.is_file()) - 1
    return ModelSignature(hint, trusted[hint], files)


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
