"""Key loading (OpenSSH keys from ssh-keygen, PEM), clear errors, and the service key."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pipeline.signing.keys import (
    ECDSA_P256,
    ED25519,
    KeyFileError,
    ensure_key,
    load_signing_key,
    verify_signature,
)


def ssh_keygen(path, kind="ed25519", passphrase=""):
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "alice@laptop",
                    "-f", str(path)], check=True)
    return str(path)


def test_an_ssh_keygen_ed25519_key_signs_and_has_ssh_keygens_fingerprint(tmp_path):
    path = ssh_keygen(tmp_path / "id_ed25519")
    key = load_signing_key(path)
    printed = subprocess.run(["ssh-keygen", "-lf", path + ".pub"], check=True,
                             capture_output=True, text=True).stdout.split()[1]
    assert key.key_type == ED25519 and key.fingerprint == printed
    assert key.public_line == open(path + ".pub").read().split(" alice")[0]
    signature = key.sign(b"record")
    assert verify_signature(key.public_key, signature, b"record")
    assert not verify_signature(key.public_key, signature, b"recorD")


def test_an_ecdsa_p256_pem_key_loads_and_signs(tmp_path):
    private = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "key.pem"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key = load_signing_key(str(path))
    assert key.key_type == ECDSA_P256
    assert verify_signature(key.public_key, key.sign(b"m"), b"m")
    with pytest.raises(KeyFileError, match=f"{path}: a ecdsa-sha2-nistp256 key, expected"):
        load_signing_key(str(path), types=(ED25519,))


def test_an_rsa_key_is_refused_naming_the_file(tmp_path):
    path = ssh_keygen(tmp_path / "id_rsa", kind="rsa")
    with pytest.raises(KeyFileError, match=f"^{path}: unsupported key type .*Ed25519 or ECDSA"):
        load_signing_key(path)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "rsa.pem"
    pem.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    with pytest.raises(KeyFileError, match=f"^{pem}: unsupported key type"):
        load_signing_key(str(pem))


def test_missing_unreadable_garbage_and_encrypted_keys_name_the_file(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(KeyFileError, match=f"^{missing}: cannot read the key file"):
        load_signing_key(str(missing))
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key\n")
    with pytest.raises(KeyFileError, match=f"^{garbage}: not a private key"):
        load_signing_key(str(garbage))
    public_only = ssh_keygen(tmp_path / "k") + ".pub"
    with pytest.raises(KeyFileError, match=f"^{public_only}: not a private key"):
        load_signing_key(public_only)
    locked = ssh_keygen(tmp_path / "locked", passphrase="secret phrase")
    with pytest.raises(KeyFileError, match=f"^{locked}: .*give its passphrase"):
        load_signing_key(locked)
    with pytest.raises(KeyFileError, match=f"^{locked}: a passphrase-protected OpenSSH key"):
        load_signing_key(locked, password=b"secret phrase")
    pkcs8 = tmp_path / "pkcs8.pem"
    pkcs8.write_bytes(load_signing_key(public_only[:-4]).private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret phrase")))
    with pytest.raises(KeyFileError, match=f"^{pkcs8}: .*give its passphrase"):
        load_signing_key(str(pkcs8))
    assert load_signing_key(str(pkcs8), password=b"secret phrase").key_type == ED25519
    if os.geteuid() != 0:
        unreadable = ssh_keygen(tmp_path / "unreadable")
        os.chmod(unreadable, 0)
        with pytest.raises(KeyFileError, match=f"^{unreadable}: cannot read the key file"):
            load_signing_key(unreadable)


def test_the_service_key_is_created_once_private_and_in_openssh_form(tmp_path):
    path = str(tmp_path / "home" / "keys" / "service")
    key, created = ensure_key(path, comment="pipeline")
    again, created_again = ensure_key(path)
    assert created and not created_again
    assert again.fingerprint == key.fingerprint
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert open(path + ".pub").read() == f"{key.public_line} pipeline\n"
    printed = subprocess.run(["ssh-keygen", "-lf", path], check=True, capture_output=True,
                             text=True).stdout.split()[1]  # OpenSSH itself reads our key file
    assert printed == key.fingerprint
    assert [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".key-")] == []
