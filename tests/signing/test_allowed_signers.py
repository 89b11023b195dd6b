"""The allowed-signers file: git/ssh-keygen format, validity windows, clear errors per line."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest

from pipeline.signing.allowed_signers import AllowedSigners, SignerNotAllowedError
from pipeline.signing.keys import KeyFileError, load_signing_key


def keypair(tmp_path, name):
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return load_signing_key(str(path))


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_windows_wildcards_and_namespaces(tmp_path):
    alice, bob, ci = keypair(tmp_path, "a"), keypair(tmp_path, "b"), keypair(tmp_path, "c")
    path = tmp_path / "allowed_signers"
    path.write_text(
        "# reviewers\n\n"
        f'alice,alice@example.org valid-after="20260101",valid-before="202606011200Z" '
        f"{alice.public_line} laptop\n"
        f'*@ci.example.org namespaces="git,tfx-ledger" {ci.public_line}\n'
        f'bob namespaces="git" {bob.public_line}\n')
    signers = AllowedSigners.load(str(path))
    assert [e.line for e in signers.entries] == [3, 4, 5]
    assert signers.check("alice", alice.fingerprint, at("2026-03-01")).line == 3
    assert signers.check("alice@example.org", alice.fingerprint, at("2026-06-01 11:59")).line == 3
    with pytest.raises(SignerNotAllowedError, match="not valid at 2026-06-01T12:00:00"):
        signers.check("alice", alice.fingerprint, at("2026-06-01 12:00"))
    with pytest.raises(SignerNotAllowedError, match="not valid at 2025-12-31"):
        signers.check("alice", alice.fingerprint, at("2025-12-31"))
    assert signers.check("build@ci.example.org", ci.fingerprint, at("2030-01-01")).line == 4
    with pytest.raises(SignerNotAllowedError, match="does not list that key for alice"):
        signers.check("alice", bob.fingerprint, at("2026-03-01"))
    with pytest.raises(SignerNotAllowedError, match="namespace tfx-ledger"):
        signers.check("bob", bob.fingerprint, at("2026-03-01"))
    assert signers.principals_of(alice.fingerprint) == ["alice", "alice@example.org"]
    assert signers.is_principal("alice") and not signers.is_principal("mallory")


@pytest.mark.parametrize("line, message", [
    ("alice", "expected PRINCIPALS"),
    ("alice ssh-rsa AAAAB3NzaC1yc2E", "key type 'ssh-rsa' where ssh-ed25519"),
    ("alice ssh-ed25519 bm90IGEga2V5", "not an OpenSSH public key"),
    ('alice valid-after="2026" KEY', "time '2026' is not YYYYMMDD"),
    ("alice cert-authority KEY", "unsupported option 'cert-authority'"),
])
def test_a_malformed_line_names_the_file_and_line(tmp_path, line, message):
    key = keypair(tmp_path, "k")
    path = tmp_path / "allowed_signers"
    path.write_text(f"ok {key.public_line}\n" + line.replace("KEY", key.public_line) + "\n")
    with pytest.raises(KeyFileError, match=f"^{path}:2: .*{message}"):
        AllowedSigners.load(str(path))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(KeyFileError, match=f"^{tmp_path}/none: cannot read the allowed signers"):
        AllowedSigners.load(str(tmp_path / "none"))
    assert AllowedSigners.load_or_empty(str(tmp_path / "none")).entries == ()


def test_our_entry_lines_are_read_by_ssh_keygen_itself(tmp_path):
    """The file is the real format: ssh-keygen -Y verify accepts a signature against it."""
    key = keypair(tmp_path, "alice")
    signers = AllowedSigners(path="x", entries=())
    path = tmp_path / "allowed_signers"
    path.write_text(signers.entry_line("alice", key.public_key) + "\n")
    assert AllowedSigners.load(str(path)).check("alice", key.fingerprint, at("2026-01-01"))
    message = tmp_path / "message"
    message.write_text("hello")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "tfx-ledger", "-f", key.path,
                    str(message)], check=True)
    verified = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(path), "-I", "alice", "-n", "tfx-ledger",
         "-s", f"{message}.sig"], stdin=open(message), capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
