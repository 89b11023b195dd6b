"""Private keys (OpenSSH or PEM, Ed25519 or ECDSA P-256) and the service key made on first use."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ED25519, ECDSA_P256 = "ssh-ed25519", "ecdsa-sha2-nistp256"
KEY_TYPES = (ED25519, ECDSA_P256)
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class KeyFileError(ValueError):
    """A key or allowed-signers file that cannot be used; the message names the file (and line)."""


def key_type(key) -> str:
    """The OpenSSH name of a supported key's type; KeyFileError for anything else."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return ED25519
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return ECDSA_P256
    raise KeyFileError(f"unsupported key type {type(key).__name__}: use Ed25519 or ECDSA P-256")


def public_line(public_key: PublicKey) -> str:
    """`ssh-ed25519 AAAA...`: the form of ~/.ssh/*.pub and of allowed-signers entries."""
    return public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode("ascii")


def fingerprint(public_key: PublicKey) -> str:
    """`SHA256:...` exactly as `ssh-keygen -lf` prints it."""
    blob = base64.b64decode(public_line(public_key).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def verify_signature(public_key: PublicKey, signature: bytes, message: bytes) -> bool:
    """True when `signature` is `public_key`'s signature of `message`."""
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, message)
        else:
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    """A private key read from `path`, ready to sign."""

    path: str
    private_key: PrivateKey

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    @property
    def key_type(self) -> str:
        return key_type(self.private_key)

    @property
    def public_line(self) -> str:
        return public_line(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            return self.private_key.sign(message)
        return self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))


def _parse_private(path: str, data: bytes, password: bytes | None) -> PrivateKey:
    loaders = (
        (serialization.load_ssh_private_key,)
        if b"OPENSSH PRIVATE KEY" in data
        else (serialization.load_pem_private_key, serialization.load_der_private_key)
    )
    last: Exception | None = None
    for loader in loaders:
        try:
            return loader(data, password=password)
        except TypeError as exc:  # encrypted without a password, or a password for a plain key
            raise KeyFileError(f"{path}: {exc} (decrypt the key or give its passphrase)") from exc
        except (ValueError, UnsupportedAlgorithm) as exc:
            if "bcrypt" in str(exc):  # cryptography decrypts OpenSSH keys only with bcrypt
                raise KeyFileError(
                    f"{path}: a passphrase-protected OpenSSH key cannot be read here; export "
                    "it as encrypted PKCS#8 PEM (ssh-keygen -p -m PKCS8) or use a key "
                    "without a passphrase") from exc
            last = exc
    raise KeyFileError(f"{path}: not a private key in OpenSSH, PEM or DER form ({last})")


def load_signing_key(
    path: str, *, password: bytes | None = None, types: tuple[str, ...] = KEY_TYPES
) -> SigningKey:
    """The private key in `path` (e.g. ~/.ssh/id_ed25519); KeyFileError naming the file."""
    path = os.path.expanduser(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc.strerror})") from exc
    private = _parse_private(path, data, password)
    try:
        kind = key_type(private)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc
    if kind not in types:
        raise KeyFileError(f"{path}: a {kind} key, expected {' or '.join(types)}")
    return SigningKey(path=path, private_key=private)


def load_public_key(text: str, where: str) -> PublicKey:
    """A public key from `TYPE BASE64` (OpenSSH form); KeyFileError naming `where`."""
    try:
        public = serialization.load_ssh_public_key(text.strip().encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError) as exc:
        raise KeyFileError(f"{where}: not an OpenSSH public key ({exc})") from exc
    try:
        key_type(public)
    except KeyFileError as exc:
        raise KeyFileError(f"{where}: {exc}") from exc
    return public


def _new_private(kind: str) -> PrivateKey:
    if kind == ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    if kind == ECDSA_P256:
        return ec.generate_private_key(ec.SECP256R1())
    raise KeyFileError(f"cannot create a {kind} key: use {' or '.join(KEY_TYPES)}")


def ensure_key(path: str, *, kind: str = ED25519, comment: str = "") -> tuple[SigningKey, bool]:
    """The key at `path`, created (mode 0600, with a .pub beside it) if absent -> (key, created).

    Creation is atomic (link of a complete temp file), so two processes starting at once end
    up with the same key and neither reads a half-written file.
    """
    if os.path.exists(path):
        return load_signing_key(path, types=(kind,)), False
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    private = _new_private(kind)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd, staging = tempfile.mkstemp(dir=directory, prefix=".key-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staging, path)
    except FileExistsError:
        return load_signing_key(path, types=(kind,)), False
    finally:
        os.unlink(staging)
    key = SigningKey(path=path, private_key=private)
    with open(path + ".pub", "w", encoding="ascii") as handle:
        handle.write(f"{key.public_line} {comment}".rstrip() + "\n")
    return key, True
