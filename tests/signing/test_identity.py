"""The service key made on first use and listed in the home; a person's key checked on use."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from pipeline.settings import resolve
from pipeline.signing.allowed_signers import AllowedSigners, SignerNotAllowedError
from pipeline.signing.identity import person_signer, service_signer
from pipeline.signing.keys import KeyFileError


def ssh_key(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return str(path)


def test_first_use_creates_the_service_key_and_lists_it_once(tmp_path):
    settings = resolve(home=str(tmp_path / "home"))
    first = service_signer(settings)
    second = service_signer(settings)
    assert first.identity == "pipeline" and first.key.fingerprint == second.key.fingerprint
    assert stat.S_IMODE(os.stat(settings.service_key_path).st_mode) == 0o600
    signers = AllowedSigners.load(settings.allowed_signers_path)
    assert len(signers.entries) == 1
    assert signers.entries[0].principals == ("pipeline",)
    assert signers.entries[0].fingerprint == first.key.fingerprint


def test_a_managed_service_key_is_used_never_created(tmp_path):
    missing = tmp_path / "vault" / "service"
    settings = resolve(home=str(tmp_path / "home"), service_key=str(missing))
    with pytest.raises(KeyFileError, match=f"^{missing}: cannot read"):
        service_signer(settings)
    assert not missing.exists()
    managed = ssh_key(tmp_path / "managed")
    signer = service_signer(resolve(home=str(tmp_path / "home"), service_key=managed))
    assert signer.key.path == managed and not os.path.exists(tmp_path / "home" / "keys")


def test_a_person_needs_their_own_listed_key(tmp_path):
    alice, bob = ssh_key(tmp_path / "alice"), ssh_key(tmp_path / "bob")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"alice {open(alice + '.pub').read()}bob {open(bob + '.pub').read()}")
    home = str(tmp_path / "home")
    with pytest.raises(KeyFileError, match="a decision by alice must be signed with their"):
        person_signer(resolve(home=home, allowed_signers=str(allowed)), "alice")
    as_bob = resolve(home=home, allowed_signers=str(allowed), key=bob)
    with pytest.raises(SignerNotAllowedError, match="alice may not sign with key SHA256:"):
        person_signer(as_bob, "alice")
    assert person_signer(as_bob, None).identity == "bob"
    assert person_signer(resolve(home=home, allowed_signers=str(allowed), key=alice),
                         "alice").key.path == alice
