"""`ledger ui` as a process: binds 127.0.0.1, names a taken port, keeps TensorFlow out, and its
audit export checks out offline with `ledger verify --bundle` (and a tampered one does not)."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from pipeline.metadata import sqlite_spec

from .conftest import LEDGER, running_ui, synthetic_home


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> str:
    return synthetic_home(tmp_path_factory, "ui-server-home")


@pytest.fixture(scope="module")
def server(home):
    with running_ui(home) as server:
        yield server


def _dataset_of(home: str) -> str:
    from pipeline.registry import Registry
    return Registry.open(sqlite_spec(home + "/metadata.sqlite")).version(
        "model-000", 2).dataset_version_id


def _port(server) -> int:
    return int(server.url.rstrip("/").rsplit(":", 1)[1])


def _connects(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def test_serves_on_loopback_only_by_default(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert "model-000@4" in urllib.request.urlopen(server.url).read().decode()
    assert _connects("127.0.0.1", _port(server))
    # Bound to 127.0.0.1 alone: another loopback address of this machine is not served.
    assert not _connects("127.0.0.2", _port(server))


def test_a_taken_port_is_one_clear_error(server, home):
    port = _port(server)
    done = subprocess.run([LEDGER, "--home", home, "ui", "--port", str(port)], text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"Error: port {port} on 127.0.0.1 is in use"


def test_the_server_process_never_loads_tensorflow(server, home):
    for page in ("models/model-000/versions/2", "models/model-000",
                 "datasets/" + _dataset_of(home) + "/impact"):
        urllib.request.urlopen(server.url + page).read()
    try:  # the prediction page loads receipt checking and capture reading, and answers 400 here
        urllib.request.urlopen(server.url + "predictions?id=model-000@1:" + "0" * 32)
    except urllib.error.HTTPError as answer:
        assert answer.code == 400
    with open(f"/proc/{server.process.pid}/maps") as maps:
        mapped = maps.read()
    assert "libtensorflow" not in mapped and "_pywrap_tensorflow" not in mapped
    assert "metadata_store_extension" in mapped  # the check sees the libraries it does load


def test_audit_export_verifies_offline_and_tampering_is_caught(server, home, tmp_path):
    url = server.url + "models/model-000/versions/2/audit.json"
    bundle = json.loads(urllib.request.urlopen(url).read())
    good = tmp_path / "bundle.json"
    good.write_text(json.dumps(bundle))
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_SIGNING_KEY"}
    env["LEDGER_HOME"] = home
    done = subprocess.run([LEDGER, "verify", "--bundle", str(good)], text=True,
                          capture_output=True, env=env, timeout=120)
    # Intact but unsigned (the synthetic log predates signatures): exit 3, as `ledger verify`.
    records = len(bundle["governance_log"]["records"])
    assert done.returncode == 3, done.stdout + done.stderr
    assert (f"of model-000@2: ok ({records} records checked, 0 signed by allowed signers, "
            f"{records} legacy)") in done.stdout
    # No service key in this home: the evidence went out unsigned, and verify says so.
    assert "evidence: 12 sections NOT signed (no service key where it was exported)" in \
        done.stdout
    bundle["governance_log"]["records"][1]["actor"] = "mallory"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(bundle))
    done = subprocess.run([LEDGER, "verify", "--bundle", str(bad)], text=True,
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 2 and "seq 2" in done.stdout and "record modified" in done.stdout


def _ed25519_key(directory, name: str) -> tuple[str, str]:
    """(private key file, public key line) of a new OpenSSH Ed25519 key."""
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    path = directory / name
    path.write_bytes(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.OpenSSH,
                                       s.NoEncryption()))
    path.chmod(0o600)
    public = key.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH)
    return str(path), public.decode()


def _statuses(server, page: str) -> list[str]:
    html = urllib.request.urlopen(server.url + page).read().decode()
    return re.findall(r'<span class="status status-[a-z-]+"\s+title="[^"]*">([a-z-]+)</span>',
                      html)


def test_a_signed_record_is_verified_until_its_key_leaves_the_allowed_signers(
        server, home, tmp_path):
    key, public = _ed25519_key(tmp_path, "alice")
    signers = os.path.join(home, "allowed_signers")
    with open(signers, "a") as handle:
        handle.write(f'alice namespaces="tfx-ledger" {public}\n')
    done = subprocess.run([LEDGER, "--home", home, "deprecate", "model-000@1", "--key", key,
                           "--reason", "old"], text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # Newest record first on the timeline: alice's, then the synthetic (unsigned) ones.
    assert _statuses(server, "models/model-000/versions/1")[-1] == "verified"
    with open(signers, "w") as handle:  # alice's key withdrawn while the UI runs
        handle.write("")
    assert _statuses(server, "models/model-000/versions/1")[-1] == "failed"
